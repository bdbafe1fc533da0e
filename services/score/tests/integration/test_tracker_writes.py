"""Two managers changing an organization's trackers at once, on PostgreSQL: the second
waits for the first (the organization's row is locked for the read-modify-write) and
both changes land, with the defaults copied once and a position each."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from clashtor_common.db import Database
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
