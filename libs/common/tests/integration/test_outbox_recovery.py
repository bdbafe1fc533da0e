"""Disaster recovery and housekeeping: outbox resend, and outbox/inbox purge by age."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from clashtor_common.housekeeping import purge
from clashtor_common.inbox import InboxRecord
from clashtor_common.ops.cli import app as ops_app
from clashtor_common.outbox import OutboxRecord, emit, pending_count
from clashtor_common.testing.kafka import TopicReader

from .support import Harness, count_effects, sample_event, started_harness, wait_until


@pytest.fixture(scope="module")
async def harness(kafka_bootstrap: str, database_url: str):
    h = await started_harness("recovery", kafka_bootstrap, database_url)
    yield h
    await h.stop()


async def _rows(harness: Harness, table: type) -> int:
    async with harness.db.session() as s:
        return (await s.execute(select(func.count()).select_from(table))).scalar_one()


async def test_outbox_resend_republishes_sent_events_and_consumers_apply_them_once(
    harness: Harness, kafka_bootstrap: str, database_url: str
) -> None:
    since = datetime.now(UTC)
    events = [sample_event() for _ in range(3)]
    async with harness.db.session() as s:
        for event in events:
            await emit(s, event, topic=harness.topic)
    for event in events:
        await wait_until(lambda e=event: count_effects(harness.db, str(e.id)), timeout=60)
    assert await pending_count(harness.db) == 0

    # As if the broker had lost them: the operator re-publishes from the outbox.
    result = await asyncio.to_thread(
        CliRunner().invoke,
        ops_app,
        [
            "outbox",
            "resend",
            "--service",
            harness.settings.service_name,
            "--since",
            since.isoformat(),
            "--database-url",
            database_url,
            "--bootstrap",
            kafka_bootstrap,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "re-published 3 event(s)" in result.output

    reader = await TopicReader(kafka_bootstrap, harness.topic).start()
    try:
        ids = {str(e.id) for e in events}
        copies = await reader.wait_for(lambda e: str(e.id) in ids, count=6, timeout=60)
    finally:
        await reader.stop()
    assert len(copies) == 6, "each event is on the topic twice"
    marker = sample_event()
    async with harness.db.session() as s:
        await emit(s, marker, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(marker.id)), timeout=60)
    for event in events:
        assert await count_effects(harness.db, str(event.id)) == 1, "the inbox made it a no-op"


async def test_purge_drops_sent_outbox_and_old_inbox_rows_but_never_unsent_ones(
    harness: Harness,
) -> None:
    await harness.relay.stop()  # keep one row unsent
    unsent = sample_event()
    async with harness.db.session() as s:
        await emit(s, unsent, topic=harness.topic)
    assert await pending_count(harness.db) == 1
    assert await _rows(harness, InboxRecord) > 0

    kept = await purge(
        harness.db, outbox_retention=timedelta(days=7), inbox_retention=timedelta(days=30)
    )
    assert (kept.outbox, kept.inbox) == (0, 0), "nothing is old enough yet"

    sent_before = await _rows(harness, OutboxRecord) - 1
    handled_before = await _rows(harness, InboxRecord)
    done = await purge(harness.db, outbox_retention=timedelta(0), inbox_retention=timedelta(0))
    assert done.outbox == sent_before and done.inbox == handled_before
    assert await _rows(harness, OutboxRecord) == 1
    assert await pending_count(harness.db) == 1, "the unsent row stays"
    assert await _rows(harness, InboxRecord) == 0

    await harness.relay.start()
    await wait_until(lambda: count_effects(harness.db, str(unsent.id)), timeout=60)
