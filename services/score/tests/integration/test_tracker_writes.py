"""Two managers changing an organization's trackers (or scorecards) at once, on
PostgreSQL: the second waits for the first (the organization's row is locked for the
read-modify-write) and both changes land, with the defaults copied once and a position
each; an activation and a deletion of the same scorecard never leave the organization's
active scorecard pointing at a deleted one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from clashtor_common.db import Database
from clashtor_common.domain_errors import NotFound
from clashtor_common.testing.waiting import wait_until
from score.adapters.repository import ScoreRepository
from score.domain.trackers import default_trackers
from score.service_layer import config

from .support import RunningScore, new_org


async def _create(db: Database, org: str, name: str) -> None:
    async with db.session() as session:
        await config.create_tracker(
            ScoreRepository(session, org), {"name": name, "phrases": [name]}
        )


async def _a_writer_waits_for_a_lock(db: Database) -> bool:
    async with db.session() as session:
        waiting = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(waiting.scalar_one())


@pytest.mark.parametrize("owned", [False, True], ids=["first-use", "owned-trackers"])
async def test_two_concurrent_tracker_creations_both_land(score: RunningScore, owned: bool) -> None:
    db = score.ctx.db
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite runs one writer at a time (BEGIN IMMEDIATE)")
    org = new_org()
    if owned:
        async with db.session() as session:
            await config.own_trackers(ScoreRepository(session, org))

    async with db.session() as first:
        await config.create_tracker(
            ScoreRepository(first, org), {"name": "alpha", "phrases": ["a"]}
        )
        second = asyncio.create_task(_create(db, org, "beta"))
        # the second writer is queued behind the first's uncommitted change
        await wait_until(lambda: _a_writer_waits_for_a_lock(db))
    await second  # before: IntegrityError (both copied the defaults), or a shared position

    async with db.session() as session:
        rows = await ScoreRepository(session, org).trackers()
    names = [r.name for r in rows]
    assert {"alpha", "beta"} <= set(names)
    assert len(names) == len(default_trackers(org)) + 2
    positions = [r.position for r in rows]
    assert len(set(positions)) == len(positions)


async def _active_id(db: Database, org: str) -> str | None:
    async with db.session() as session:
        return await config.active_id(ScoreRepository(session, org))


@pytest.mark.parametrize("first", ["activate", "delete"])
async def test_a_scorecard_activated_and_deleted_at_once_is_not_left_active(
    score: RunningScore, first: str
) -> None:
    db = score.ctx.db
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite runs one writer at a time (BEGIN IMMEDIATE)")
    org = new_org()
    async with db.session() as session:
        card = await config.create_scorecard(ScoreRepository(session, org), {"template": "meddic"})

    async def activate() -> None:
        async with db.session() as session:
            await config.activate_scorecard(ScoreRepository(session, org), card.id)

    async def delete() -> None:
        async with db.session() as session:
            await config.delete_scorecard(ScoreRepository(session, org), card.id)

    then = delete if first == "activate" else activate
    async with db.session() as session:
        if first == "activate":
            await config.activate_scorecard(ScoreRepository(session, org), card.id)
        else:
            await config.delete_scorecard(ScoreRepository(session, org), card.id)
        second = asyncio.create_task(then())
        # the second waits for the first's lock (before: it did not, and went on)
        await wait_until(lambda: second.done() or _a_writer_waits_for_a_lock(db))
    if first == "delete":
        with pytest.raises(NotFound):  # the card is gone by the time it may look
            await second
    else:
        await second
    assert await _active_id(db, org) is None
