"""Transactional outbox: events are written in the caller's transaction, published after.

``emit`` adds a row to the ``outbox`` table in the same transaction as the state
change, so an event exists if and only if its change committed. ``OutboxRelay``
publishes unsent rows in commit order and marks them sent only once the broker
acknowledged them with ``acks=all`` (the leader and every in-sync replica wrote it);
while the broker is down they wait, and go out when it returns. A crash between
publish and mark re-publishes (at-least-once); consumers' inboxes make that harmless.

``resend`` re-publishes rows already marked sent (``clashtor-ops outbox resend``): the
disaster-recovery path when a broker lost what it had acknowledged. Sent rows are kept
for ``outbox_retention_hours`` (``clashtor_common.housekeeping``) for that reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from opentelemetry import propagate, trace
from sqlalchemy import Column, LargeBinary, Text, cast, delete, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import JSON, Field, SQLModel, col

from clashtor_common.db import Database
from clashtor_common.events import Envelope, ErasureCompleted, ExportPartReady, make_event
from clashtor_common.metrics import track_relay
from clashtor_common.telemetry import kafka_span, tracer_provider

log = logging.getLogger(__name__)

_wakeups: set[asyncio.Event] = set()


class OutboxRecord(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True, max_length=36)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    trace: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    sent_at: datetime | None = Field(default=None, index=True)


async def emit(session: AsyncSession, envelope: Envelope, *, topic: str | None = None) -> None:
    """Add ``envelope`` to the caller's transaction; it is published only if that commits.

    Rows are collected on the session and written in one multi-row INSERT just before
    the transaction commits (or at the next flush), so emitting many events costs one
    statement, not one per event.
    """
    pending: list[dict[str, Any]] = session.sync_session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "event_id": str(envelope.id),
            "topic": topic or envelope.type,
            "key": envelope.key,
            "payload": envelope.to_bytes(),
            "trace": envelope.trace,
            "created_at": envelope.time,
            "sent_at": None,
        }
    )
    session.sync_session.info["outbox_dirty"] = True


async def emit_answer(
    session: AsyncSession, payload: ErasureCompleted | ExportPartReady, *, source: str, org_id: str
) -> None:
    """Emit a service's answer to a privacy request, keyed by the organization and with the
    request id as its subject."""
    event = make_event(
        payload, source=source, org_id=org_id, key=org_id, subject_ids=[payload.request_id]
    )
    await emit(session, event)


_PENDING = "outbox_pending"


async def drop_unsent(session: AsyncSession, *, topics: Sequence[str], keys: Sequence[str]) -> None:
    """Forget events of ``topics`` keyed by ``keys`` that were not published yet.

    Erasure's step: an event still waiting in the outbox about an erased call would
    announce (or point at) it after it is gone."""
    if keys:
        await session.execute(
            delete(OutboxRecord).where(
                col(OutboxRecord.topic).in_(list(topics)),
                col(OutboxRecord.key).in_(list(keys)),
                col(OutboxRecord.sent_at).is_(None),
            )
        )


#: The table's own INSERT, executed with many rows: no ORM bulk-insert pass per row.
_INSERT_ROWS = insert(OutboxRecord.__table__)  # type: ignore[attr-defined]


@event.listens_for(Session, "before_flush")
def _write_pending(session: Session, _flush_context: Any, _instances: Any) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.execute(_INSERT_ROWS, rows)


@event.listens_for(Session, "before_commit")
def _write_pending_before_commit(session: Session) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.execute(_INSERT_ROWS, rows)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("outbox_dirty", None)


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop("outbox_dirty", False):
        for ev in list(_wakeups):
            ev.set()


class _Row(NamedTuple):
    """The columns of an outbox row that publishing needs (no ORM object per row)."""

    id: int
    event_id: str
    topic: str
    key: str
    payload: bytes
    #: The stored trace context as its JSON text: the rows one transaction emitted carry
    #: the same text, so runs are told apart without decoding every row's.
    trace: str | None


#: The table itself: the relay's statements are Core ones run on the session's connection
#: (no ORM compile state or result pass; half the CPU of reading a round of 500 rows).
_OUTBOX = OutboxRecord.__table__  # type: ignore[attr-defined]

_ROW_COLUMNS = (
    _OUTBOX.c.id,
    _OUTBOX.c.event_id,
    _OUTBOX.c.topic,
    _OUTBOX.c.key,
    _OUTBOX.c.payload,
    cast(_OUTBOX.c.trace, Text).label("trace"),
)


def _topic_and_trace(row: _Row) -> tuple[str, str | None]:
    return row.topic, row.trace


def _carrier(trace: str | None) -> dict[str, str]:
    """A run's trace context, decoded once for the run."""
    return (json.loads(trace) if trace else None) or {}


#: An envelope's JSON starts ``{"id":"…","type":"…","version":N`` (``Envelope.to_bytes``).
_TYPE_AND_VERSION = re.compile(rb'^\{"id":"[0-9a-f-]{36}","type":"([^"\\]*)","version":(\d+),')


def _headers(payload: bytes) -> list[tuple[str, bytes]]:
    """The ``event-type`` and ``event-version`` headers, read off the payload's start
    rather than decoding the whole event (any other shape is decoded)."""
    match = _TYPE_AND_VERSION.match(payload)
    if match is not None:
        return [("event-type", match[1]), ("event-version", match[2])]
    data: dict[str, Any] = json.loads(payload)
    return [
        ("event-type", str(data.get("type")).encode()),
        ("event-version", str(data.get("version")).encode()),
    ]


#: Bytes of one partition's record batch in the relay's producer (aiokafka's default is
#: 16 KiB, some 30 events: a relay batch of hundreds went out as one acknowledged round
#: trip after another). Below Kafka's default ``message.max.bytes`` of 1 MiB.
_BATCH_BYTES = 512 * 1024


class _Batches:
    """Record batches of one publish round, one open per partition, filled in row order.

    The partition is the producer's own choice for the key (aiokafka's
    ``DefaultPartitioner``, murmur2 as in the Java client), so a key lands where any other
    producer of the topic puts it. A full batch is handed to the producer at once and a
    new one opened for its partition after it: order per partition, hence per key, holds.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.open: dict[tuple[str, int], Any] = {}  # aiokafka BatchBuilder
        self.delivered: list[asyncio.Future[Any]] = []
        self._partitions: dict[str, list[int]] = {}
        self._by_key: dict[tuple[str, bytes], int] = {}

    async def add(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        partition = self._by_key.get((topic, key))
        if partition is None:
            partitions = self._partitions.get(topic)
            if partitions is None:
                partitions = sorted(await self.producer.partitions_for(topic))
                self._partitions[topic] = partitions
            partition = _PARTITIONER(key, partitions, partitions)
            self._by_key[(topic, key)] = partition
        where = (topic, partition)
        batch = self.open.get(where)
        if batch is None:
            batch = self.open[where] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
            await self._send(where)  # full: send it, then start the partition's next
            batch = self.open[where] = self.producer.create_batch()
            # an empty batch takes any record: the caller checked it fits a request
            batch.append(key=key, value=value, timestamp=None, headers=headers)

    async def _send(self, where: tuple[str, int]) -> None:
        batch = self.open.pop(where)
        topic, partition = where
        self.delivered.append(await self.producer.send_batch(batch, topic, partition=partition))

    async def sent(self) -> None:
        """Hand over the open batches and wait until the broker acknowledged them all."""
        for where in list(self.open):
            await self._send(where)
        # every batch's outcome is retrieved (no "exception was never retrieved"), the
        # first failure raised
        outcomes = await asyncio.gather(*self.delivered, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome


_PARTITIONER = DefaultPartitioner()

_MAX_REQUEST_SIZE = 1048576
"""aiokafka's default ``max_request_size``, unless the producer's kwargs set one."""


_sqlite_relays: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}


def _sqlite_relay_lock(db: Database) -> asyncio.Lock:
    """One relay at a time publishes a SQLite database's rows in this process."""
    loop = asyncio.get_running_loop()
    held = _sqlite_relays.get(db.url)
    if held is None or held[0] is not loop:
        held = _sqlite_relays[db.url] = (loop, asyncio.Lock())
    return held[1]


class OutboxRelay:
    """Publishes committed outbox rows in order; one relay per service process."""

    def __init__(
        self,
        db: Database,
        producer_kwargs: dict[str, Any],
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        self.db = db
        self._producer_kwargs = producer_kwargs
        self._producer: AIOKafkaProducer | None = None
        self._tracer = trace.get_tracer("clashtor.outbox", tracer_provider=tracer_provider())
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.last_error: str | None = None
        #: Set when the broker lost its log: publishing stops until the process restarts.
        self.halted: str | None = None
        #: Rows too large for one produce request: left unsent (nothing lost, they stay
        #: in ``pending_count``), logged once and passed over by this process's relay.
        self.rejected: set[int] = set()
        track_relay(self)

    async def start(self) -> None:
        _wakeups.add(self._wake)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def _get_producer(self) -> AIOKafkaProducer:
        """The relay's own producer: batches sends instead of one middleware pass per row."""
        if self._producer is None:
            producer = AIOKafkaProducer(
                linger_ms=5, acks="all", max_batch_size=_BATCH_BYTES, **self._producer_kwargs
            )
            await producer.start()
            self._producer = producer
        return self._producer

    async def stop(self) -> None:
        _wakeups.discard(self._wake)
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        backoff = self.poll_seconds
        while True:
            try:
                sent = 0 if self.halted else await self.publish_pending()
                backoff = self.poll_seconds
                self.last_error = None
                if sent:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database down: keep rows, retry later
                self.last_error = repr(exc)
                log.warning("outbox relay could not publish, will retry", exc_info=exc)
                backoff = min(backoff * 2, 10.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows in id order; returns how many were sent.

        PostgreSQL: one statement locks (``FOR UPDATE``) and marks the rows, returning
        them; the transaction commits once the broker acknowledged them all (any failure
        rolls the mark back), so a second replica's relay waits for them instead of
        sending them too, and requests emitting meanwhile insert other rows, not held up.

        SQLite: a transaction holds the database's one write lock, and the broker's
        acknowledgement is a network round trip, so the rows are read, published and then
        marked in separate short transactions, and requests emit meanwhile. The read is a
        snapshot (``Database.reading``) that neither waits for the requests' transactions
        nor holds them up; only the mark takes the write lock. One relay per database in
        the process publishes at a time (a SQLite file belongs to one process).
        """
        rejected: list[_Row] = []
        if not self.db.is_sqlite:
            async with self.db.session() as session:
                rows = await self._claim(session)
                if rows:
                    rejected = await self._publish(rows)
                    await _mark_unsent(session, rejected)
        else:
            async with _sqlite_relay_lock(self.db):
                async with self.db.reading() as connection:
                    rows = await self._unsent(connection)
                if rows:
                    rejected = await self._publish(rows)
                    async with self.db.session() as session:
                        await _mark_sent(session, _without(rows, rejected))
        self.rejected.update(row.id for row in rejected)
        sent = len(rows) - len(rejected)
        self.published += sent
        return sent

    def _next_unsent(self) -> Any:  # a Select of the _Row columns
        query = select(*_ROW_COLUMNS).where(_OUTBOX.c.sent_at.is_(None))
        if self.rejected:
            query = query.where(_OUTBOX.c.id.not_in(self.rejected))
        return query.order_by(_OUTBOX.c.id).limit(self.batch_size)

    async def _unsent(self, connection: AsyncConnection) -> list[_Row]:
        return [_Row._make(row) for row in (await connection.execute(self._next_unsent())).all()]

    async def _claim(self, session: AsyncSession) -> list[_Row]:
        """Lock and mark the next unsent rows in the caller's transaction, in id order."""
        next_ids = self._next_unsent().with_only_columns(_OUTBOX.c.id).with_for_update()
        marked = (
            update(_OUTBOX)
            .where(_OUTBOX.c.id.in_(next_ids.scalar_subquery()))
            .values(sent_at=datetime.now(UTC))
            .returning(*_ROW_COLUMNS)
        )
        connection = await session.connection()
        return sorted(_Row._make(row) for row in (await connection.execute(marked)).all())

    async def _publish(self, rows: Sequence[_Row]) -> list[_Row]:
        """Send ``rows`` in order and wait until the broker acknowledged every one;
        returns the rows not sent because no produce request can carry them.

        One ``publish`` span per run of rows of one topic stored with the same trace
        context (what one transaction emitted), not one per row: a span costs more than
        the send. Its context goes into each row's headers, so every consumer's
        ``handle`` span is still a child of a ``publish`` span in the emitter's trace.
        The rows are filled into one record batch per partition (``_Batches``) and
        acknowledged together, rather than sent one by one with a future each.

        A row larger than the producer's ``max_request_size`` would go out alone in a
        batch the broker refuses, failing every round: it is logged as an error and
        left out (the caller leaves it unsent), so the rows after it keep flowing.
        """
        producer = await self._get_producer()
        batches = _Batches(producer)
        limit = self._producer_kwargs.get("max_request_size", _MAX_REQUEST_SIZE)
        rejected: list[_Row] = []
        for (topic, _), run in groupby(rows, key=_topic_and_trace):
            group = list(run)
            with kafka_span(
                self._tracer,
                _carrier(group[0].trace),
                operation="publish",
                topic=topic,
                message_id=group[0].event_id,
            ) as span:
                if len(group) > 1:
                    span.set_attribute("messaging.batch.message_count", len(group))
                context: dict[str, str] = {}
                propagate.inject(context)
                trace_headers = [(k, v.encode()) for k, v in context.items()]
                for row in group:
                    key, headers = row.key.encode(), _headers(row.payload) + trace_headers
                    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(
                        key, row.payload, headers
                    )
                    if size > limit:
                        _log_rejected(row, size, limit)
                        rejected.append(row)
                        continue
                    await batches.add(topic, key, row.payload, headers)
        await batches.sent()
        return rejected

    async def resend(self, since: datetime, until: datetime | None = None) -> int:
        """Re-publish every row created in ``[since, until]``, sent or not, in order."""
        sent = 0
        last_id = 0
        while True:
            async with self.db.session() as session:
                query = (
                    select(*_ROW_COLUMNS)
                    .where(col(OutboxRecord.created_at) >= since, col(OutboxRecord.id) > last_id)
                    .order_by(col(OutboxRecord.id))
                    .limit(self.batch_size)
                )
                if until is not None:
                    query = query.where(col(OutboxRecord.created_at) <= until)
                rows = [_Row._make(row) for row in (await session.execute(query)).all()]
            if not rows:
                return sent
            rejected = await self._publish(rows)
            last_id = rows[-1].id
            sent += len(rows) - len(rejected)


def _without(rows: Sequence[_Row], left_out: Sequence[_Row]) -> list[_Row]:
    ids = {row.id for row in left_out}
    return [row for row in rows if row.id not in ids]


def _log_rejected(row: _Row, size: int, limit: int) -> None:
    event_type = dict(_headers(row.payload)).get("event-type", b"?").decode()
    log.error(
        "outbox row %d (event %s, type %s, topic %s) is %d bytes, over the producer's "
        "max_request_size of %d: left unsent, the rows after it go on",
        row.id,
        row.event_id,
        event_type,
        row.topic,
        size,
        limit,
    )


async def _mark_unsent(session: AsyncSession, rows: Sequence[_Row]) -> None:
    """Undo the claim's mark of ``rows`` (PostgreSQL), in one UPDATE."""
    if rows:
        connection = await session.connection()
        await connection.execute(
            update(_OUTBOX).where(_OUTBOX.c.id.in_([row.id for row in rows])).values(sent_at=None)
        )


async def _mark_sent(session: AsyncSession, rows: Sequence[_Row]) -> None:
    """Mark ``rows`` sent, in one UPDATE."""
    connection = await session.connection()
    await connection.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_([row.id for row in rows]))
        .values(sent_at=datetime.now(UTC))
    )


async def pending_count(db: Database) -> int:
    """Rows not published yet (a snapshot: no write lock taken on SQLite)."""
    from sqlalchemy import func

    async with db.reading() as connection:
        return (
            await connection.execute(select(func.count()).where(_OUTBOX.c.sent_at.is_(None)))
        ).scalar_one()
