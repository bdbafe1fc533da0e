"""Batched consuming and publishing keep the delivery rules: a failure in the middle of a
batch applies nothing twice and loses nothing (a kill -9 mid-batch: test_crash_and_trace),
and the relay publishing a batch does not hold up the requests that emit meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common import db as db_module
from clashtor_common.bus import EventConsumer, Handler, make_broker, subscribe
from clashtor_common.db import Database
from clashtor_common.embedded import ensure_topics
from clashtor_common.events import Envelope
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord, OutboxRelay, emit, pending_count

from .support import (
    Effect,
    Harness,
    count_effects,
    sample_event,
    settings_for,
    started_harness,
)


@dataclass
class _Record:
    """A fetched Kafka record, as the consumer reads it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = field(default_factory=list)


def _records(topic: str, events: list[Envelope]) -> list[_Record]:
    return [_Record(topic, 0, i, e.key.encode(), e.to_bytes()) for i, e in enumerate(events)]


@pytest.fixture(scope="module")
async def harness(kafka_bootstrap: str, database_url: str):
    h = await started_harness("batches", kafka_bootstrap, database_url)
    yield h
    await h.stop()


async def _one_batch(
    kafka_bootstrap: str, db: Database, name: str, handler: Handler
) -> tuple[EventConsumer, list[Envelope]]:
    """Three events handed in one batch to a consumer on ``db`` that applies ``handler``:
    the consumer and the events."""
    settings = settings_for(name, kafka_bootstrap, db.url)
    topic = f"test-{name}-{uuid.uuid4().hex[:8]}"
    consumer = subscribe(make_broker(settings), topic, settings=settings, db=db, handler=handler)
    events = [sample_event() for _ in range(3)]
    await asyncio.wait_for(consumer.handle_batch(_records(topic, events)), timeout=20)
    return consumer, events


async def _inbox(db: Database, events: list[Envelope]) -> int:
    async with db.session() as s:
        rows = await s.execute(
            select(InboxRecord.event_id).where(
                col(InboxRecord.event_id).in_([e.id for e in events])
            )
        )
        return len(rows.all())


async def test_an_event_failing_mid_batch_is_dead_lettered_and_the_others_apply_once(
    harness: Harness,
) -> None:
    events = [sample_event() for _ in range(5)]
    poison = events[2]
    harness.fail_ids = {str(poison.id)}
    calls_before = harness.calls
    dead_before = harness.consumer.stats.dead_lettered
    try:
        await harness.consumer.handle_batch(_records(harness.topic, events))
    finally:
        harness.fail_ids = set()
    for event in events:
        assert await count_effects(harness.db, str(event.id)) == (0 if event is poison else 1)
    assert await _inbox(harness.db, events) == 4, "the dead-lettered one is not marked handled"
    assert harness.consumer.stats.dead_lettered == dead_before + 1
    # three in the batch before it failed, then each alone: the poison one max_attempts times
    attempts = harness.settings.consumer_max_attempts
    assert harness.calls - calls_before == 3 + 4 + attempts

    # The same batch again (a redelivery) changes nothing.
    calls_before = harness.calls
    await harness.consumer.handle_batch(
        _records(harness.topic, [e for e in events if e is not poison])
    )
    assert harness.calls == calls_before
    for event in events:
        assert await count_effects(harness.db, str(event.id)) == (0 if event is poison else 1)


async def test_a_batch_is_one_write_transaction_and_its_inbox_read_takes_no_lock(
    harness: Harness,
) -> None:
    """The batch's inbox read is a read-only transaction before the one that writes the
    effects and inbox rows. On SQLite a transaction holds the write lock from its first
    statement (before: a second BEGIN IMMEDIATE, queued for the process's turn behind
    every writer); on PostgreSQL a read inside the batch's transaction kept its
    connection idle in transaction through a handler's slow work."""
    events = [sample_event() for _ in range(3)]
    with _transactions_begun(harness.db) as begun:
        await harness.consumer.handle_batch(_records(harness.topic, events))
    for event in events:
        assert await count_effects(harness.db, str(event.id)) == 1
    assert begun.count(False) == 1, "one transaction that writes"
    assert begun.count(True) == 1, "the inbox read: read-only"


async def test_a_batch_on_sqlite_reads_its_inbox_in_a_snapshot_then_writes_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The rule above on a SQLite database (the test harness may run on PostgreSQL)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    await db.create_all(InboxRecord, Effect)

    async def handler(event: Envelope, session: AsyncSession) -> None:
        session.add(Effect(event_id=str(event.id), note=event.type))

    settings = settings_for("snapshot", kafka_bootstrap, db.url)
    topic = f"test-snapshot-{uuid.uuid4().hex[:8]}"
    consumer = subscribe(make_broker(settings), topic, settings=settings, db=db, handler=handler)
    events = [sample_event() for _ in range(3)]
    try:
        with _transactions_begun(db) as begun:
            await consumer.handle_batch(_records(topic, events))
        assert await _inbox(db, events) == 3
        assert begun == [True, False], "a read-only snapshot, then one write transaction"
    finally:
        await db.dispose()


async def test_the_inbox_read_is_one_statement_whatever_the_batch_size_on_postgresql(
    harness: Harness,
) -> None:
    """PostgreSQL: the batch's inbox read passes its event ids as one array (``= ANY``).
    Before, ``IN (…)`` bound one parameter per id: a statement text per batch size, which
    asyncpg prepared again (a round trip) for each new size."""
    if harness.db.is_sqlite:
        pytest.skip("asyncpg's prepared statements: PostgreSQL")
    reads: list[str] = []
    task = asyncio.current_task()

    def on_execute(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if asyncio.current_task() is task and "FROM inbox" in statement:
            reads.append(statement)

    engine = harness.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", on_execute)
    try:
        for size in (2, 3):
            events = [sample_event() for _ in range(size)]
            await harness.consumer.handle_batch(_records(harness.topic, events))
            for event in events:
                assert await count_effects(harness.db, str(event.id)) == 1
    finally:
        sa_event.remove(engine, "before_cursor_execute", on_execute)
    assert len(reads) == 2 and len(set(reads)) == 1, reads


@contextmanager
def _transactions_begun(db: Database) -> Iterator[list[bool]]:
    """Per transaction the current task begins on ``db`` meanwhile: whether it only reads
    (not another task's, such as a harness's relay on the same engine)."""
    begun: list[bool] = []
    task = asyncio.current_task()

    def on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if asyncio.current_task() is task:
            begun.append(bool(conn.get_execution_options().get("clashtor_read_only")))

    engine = db.engine.sync_engine
    sa_event.listen(engine, "begin", on_begin)
    try:
        yield begun
    finally:
        sa_event.remove(engine, "begin", on_begin)


async def test_a_failure_at_the_batch_commit_retries_one_by_one_without_duplicates(
    harness: Harness,
) -> None:
    """Another instance of the consumer handles the fourth event while this one's batch is
    under way: the batch's inbox INSERT fails at commit, nothing of the batch stays, and
    going one by one applies the others once and the fourth not again."""
    if harness.db.is_sqlite:
        pytest.skip("SQLite has one writer: a second instance cannot commit during the batch")
    events = [sample_event() for _ in range(5)]
    raced = events[3]
    handler = harness.consumer.handler

    async def racing(event: Envelope, session: AsyncSession) -> None:
        await handler(event, session)
        if event.id == events[1].id and not await _inbox(harness.db, [raced]):
            async with harness.db.session() as other:  # the other instance commits first
                other.add(
                    InboxRecord(
                        consumer=harness.consumer.consumer, event_id=raced.id, event_type=raced.type
                    )
                )

    harness.consumer.handler = racing
    try:
        await harness.consumer.handle_batch(_records(harness.topic, events))
    finally:
        harness.consumer.handler = handler
    for event in events:
        assert await count_effects(harness.db, str(event.id)) == (0 if event is raced else 1)
    assert await _inbox(harness.db, events) == 5


async def test_a_handler_may_open_its_own_session_after_an_earlier_event_wrote_on_sqlite(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the first event wrote, the batch's transaction holds SQLite's write lock: the
    second event's own ``db.session()`` waited for it until the busy timeout, the batch
    failed and every event went again alone (score ran with batches of one for this)."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 1)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    await db.create_all(InboxRecord, Effect)
    calls = 0

    async def writes_then_opens_its_own(event: Envelope, session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        async with db.session() as own:
            await own.execute(select(Effect.id).limit(1))
            own.add(Effect(event_id=str(event.id), note="own session"))
        session.add(Effect(event_id=str(event.id), note=event.type))
        await session.flush()

    try:
        _, events = await _one_batch(kafka_bootstrap, db, "ownsession", writes_then_opens_its_own)
        assert calls == 3, "the batch went through in one transaction, not again one by one"
        for event in events:
            assert await count_effects(db, str(event.id)) == 2
        assert await _inbox(db, events) == 3
    finally:
        await db.dispose()


class _HeldRelay(OutboxRelay):
    """A relay whose broker takes its time to acknowledge: ``_publish`` waits for ``ack``."""

    def __init__(self, db: Database, producer_kwargs: dict[str, object]) -> None:
        super().__init__(db, producer_kwargs)
        self.publishing = asyncio.Event()
        self.ack = asyncio.Event()

    async def _publish(self, rows):  # type: ignore[no-untyped-def]
        self.publishing.set()
        await self.ack.wait()
        return await super()._publish(rows)


async def test_requests_emit_while_the_relay_waits_for_the_broker_on_sqlite(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SQLite has one write lock: the relay must not hold it across the broker's round trip,
    or every request that emits waits for the broker too."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    await db.create_all(OutboxRecord)
    topic = f"test-relaylock-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=1)
    relay = _HeldRelay(db, {"bootstrap_servers": kafka_bootstrap})
    try:
        async with db.session() as s:
            await emit(s, sample_event(), topic=topic)
        publishing = asyncio.create_task(relay.publish_pending())
        await relay.publishing.wait()

        async def emit_one() -> None:
            async with db.session() as s:
                await emit(s, sample_event(), topic=topic)

        # Before: this waited for the relay's transaction, i.e. for the broker (here: never).
        await asyncio.wait_for(emit_one(), timeout=30)
        assert await pending_count(db) == 2
        relay.ack.set()
        assert await publishing == 1
        assert await pending_count(db) == 1, "the row emitted meanwhile waits for the next round"
        assert await relay.publish_pending() == 1
    finally:
        relay.ack.set()
        await relay.stop()
        await db.dispose()


async def test_the_relay_reads_its_next_rows_while_a_request_holds_the_write_lock_on_sqlite(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The relay's read of the committed rows is a snapshot: it does not queue behind the
    requests' open transactions (before: it took the write lock and the process's turn,
    so it waited for every request emitting at the time, and held the next ones up)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    await db.create_all(OutboxRecord)
    topic = f"test-relayread-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=1)
    relay = _HeldRelay(db, {"bootstrap_servers": kafka_bootstrap})
    request_may_commit = asyncio.Event()

    async def request_emitting() -> None:
        async with db.session() as s:
            await emit(s, sample_event(), topic=topic)
            await s.connection()  # the transaction began: it holds the write lock
            await request_may_commit.wait()

    try:
        async with db.session() as s:
            await emit(s, sample_event(), topic=topic)
        request = asyncio.create_task(request_emitting())
        while not request.done() and await _lock_free(db):
            await asyncio.sleep(0.01)  # until the request holds the lock
        publishing = asyncio.create_task(relay.publish_pending())
        # Before: the read waited for the request's transaction (here: until it ends).
        await asyncio.wait_for(relay.publishing.wait(), timeout=10)
        relay.ack.set()
        request_may_commit.set()
        await request
        assert await publishing == 1, "the committed row went, the open one was not seen"
        assert await pending_count(db) == 1
        assert await relay.publish_pending() == 1
    finally:
        relay.ack.set()
        request_may_commit.set()
        await relay.stop()
        await db.dispose()


async def _lock_free(db: Database) -> bool:
    """Whether a writer could take SQLite's write lock now (a connection outside the
    process's turns, no busy wait)."""
    import sqlite3

    path = db.url.split("///", 1)[-1]
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


async def test_a_handler_may_read_in_a_short_transaction_of_its_own_first_on_sqlite(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Score reads what its slow work needs in a short transaction of its own before it
    touches the handler's (``score_transcribed_call``). On SQLite every transaction takes
    the write lock with its first statement, so the batch's transaction must not begin
    (with its inbox read) before the handler uses it: the handler's own transaction then
    waited for the lock its caller held, for the whole busy timeout, on every retry."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    await db.create_all(InboxRecord, Effect)

    async def reads_first(event: Envelope, session: AsyncSession) -> None:
        async with db.session() as reads:  # a short transaction of its own, like score's
            await reads.execute(select(Effect.id).limit(1))
        session.add(Effect(event_id=str(event.id), note=event.type))

    try:
        consumer, events = await _one_batch(kafka_bootstrap, db, "ownread", reads_first)
        for event in events:
            assert await count_effects(db, str(event.id)) == 1
        assert await _inbox(db, events) == 3
        await asyncio.wait_for(consumer.apply(sample_event()), timeout=20)
    finally:
        await db.dispose()


async def test_a_handlers_slow_work_before_its_writes_holds_no_transaction_open(
    kafka_bootstrap: str, database_url: str
) -> None:
    """Score reads, then scores for seconds (an OpenAI round trip), then writes: meanwhile
    the batch holds no connection idle in transaction (review: the inbox read inside the
    batch's transaction began it before the handler ran)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("idle in transaction is PostgreSQL's state of a connection")
    db = Database(database_url)
    await db.create_all(InboxRecord, Effect)
    seen: list[int] = []
    # This consumer's connections only: the module's relay shares the database, and its
    # own transactions are idle in transaction between their statements for a moment.
    pids: set[int] = set()
    sa_event.listen(
        db.engine.sync_engine,
        "checkout",
        lambda connection, *_: pids.add(connection.driver_connection.get_server_pid()),
    )

    async def slow(event: Envelope, session: AsyncSession) -> None:
        async with db.session() as other:  # the handler's own short read
            await other.execute(select(Effect.event_id).limit(1))
        await asyncio.sleep(0.3)  # the slow work, before any write of the batch's
        async with db.session() as probe:
            idle = await probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"
                    " AND state = 'idle in transaction'"
                ),
                {"pids": sorted(pids)},
            )
        seen.append(int(idle or 0))
        session.add(Effect(event_id=str(event.id), note=event.type))

    try:
        _, events = await _one_batch(kafka_bootstrap, db, "slowwork", slow)
        assert await _inbox(db, events) == 3
        assert seen == [0, 0, 0]
    finally:
        await db.dispose()
