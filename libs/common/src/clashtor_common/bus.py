"""The Kafka bus: broker factory and the exactly-once-in-effect subscriber.

Delivery rules (see DESIGN.md):

- one consumer group per service, one Kafka consumer for all its topics; offsets are
  committed only after the handlers' transaction committed (``AckPolicy.NACK_ON_ERROR``:
  an unhandled error seeks back and the batch is redelivered);
- a handler's effect, its inbox record and the events it emits commit together, so
  a duplicate or a redelivery after a crash changes nothing twice;
- events arrive in batches handled in order in one transaction; if any fails, none
  of the batch commits and each is then handled on its own transaction, in order;
- failures are classified (``clashtor_common.failures``):

  * transient — ``TransientError``, or anything ``is_transient`` recognises through
    the exception chain: connection refused/reset, timeouts, HTTP 429/5xx, S3
    unavailable (botocore ``EndpointConnectionError``, ``ClientError`` 5xx/SlowDown),
    ``httpx.TransportError``, aiokafka connection/timeout/retriable errors, SQLAlchemy
    ``OperationalError``/invalidated connections, asyncpg connection errors, sqlite
    ``OperationalError`` — are retried with capped exponential backoff
    (``consumer_backoff_seconds`` doubling up to ``consumer_transient_backoff_max``)
    for as long as it takes, never dead-lettered. The event's partition is paused
    and rewound to it (``PartitionGate``): nothing later in that partition is handled
    before it, so order per key holds, while the other partitions go on. ``/readyz``
    reports ``degraded`` with the error until it passes;
  * poison — an undecodable, invalid or unknown-version event, or a handler's
    ``PermanentError`` — goes to ``<topic>.dlq`` at once with the error in its headers;
  * anything else (a bug, an unknown) is retried ``consumer_max_attempts`` times with
    backoff, then dead-lettered; after too many dead letters in a row the consumer
    stops dead-lettering and keeps retrying instead (a bad deploy stalls rather than
    dead-lettering everything).

Handlers raise ``TransientError`` for conditions they know will pass and
``PermanentError`` for input that can never succeed; library errors need no
wrapping. ``is_transient(exc)`` is the one classifier: use it anywhere else that must
tell the two apart (an HTTP endpoint answering 503 rather than 500, say).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.metrics import Histogram
from sqlalchemy import any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from clashtor_common.backoff import Retries
from clashtor_common.db import Database
from clashtor_common.events import Envelope, InvalidEvent, dlq_topic, parse_envelopes
from clashtor_common.failures import PermanentError, TransientError, is_transient
from clashtor_common.inbox import InboxRecord, claim
from clashtor_common.logs import log_context
from clashtor_common.metrics import handler_duration, track_consumer
from clashtor_common.settings import ServiceSettings
from clashtor_common.telemetry import kafka_span, tracer_provider

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, AsyncSession], Awaitable[None]]

#: Header naming the one consumer group a redriven or replayed message is meant for.
ONLY_FOR_HEADER = "x-only-for"


__all__ = [
    "ONLY_FOR_HEADER",
    "EventConsumer",
    "PermanentError",
    "TransientError",
    "dead_letter_headers",
    "is_transient",
    "make_broker",
    "start_broker",
    "subscribe",
]


class Record(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]]


def make_broker(settings: ServiceSettings, **kwargs: Any) -> KafkaBroker:
    """A FastStream Kafka broker with tracing, named after the service."""
    security: Any = None
    if settings.kafka_security_protocol != "PLAINTEXT":
        from faststream.security import BaseSecurity, SASLScram512

        conn = settings.kafka_client_kwargs()
        ssl_context = conn.get("ssl_context")
        if settings.kafka_sasl_mechanism == "SCRAM-SHA-512":
            security = SASLScram512(
                username=settings.kafka_sasl_username or "",
                password=conn.get("sasl_plain_password") or "",  # type: ignore[arg-type]
                ssl_context=ssl_context,  # type: ignore[arg-type]
            )
        else:
            security = BaseSecurity(ssl_context=ssl_context)  # type: ignore[arg-type]
    return KafkaBroker(
        settings.kafka_bootstrap,
        security=security,
        client_id=settings.service_name,
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider(settings.service_name))
        ],
        logger=logging.getLogger(f"faststream.{settings.service_name}"),
        **kwargs,
    )


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    consecutive_dead_letters: int = 0
    last_error: str | None = None
    transient_retries: int = 0
    #: Every attempt repeated, transient or not.
    retries: int = 0
    #: ``time.monotonic()`` since when a transient failure holds the consumer, else None.
    waiting_since: float | None = None


@dataclass
class _Incoming:
    record: Record
    headers: dict[str, str]
    envelope: Envelope


#: The headers that name the producer's span (and the request's baggage) an event came in.
_TRACE_HEADERS = ("traceparent", "tracestate", "baggage")

_INBOX = InboxRecord.__table__  # type: ignore[attr-defined]
#: The inbox rows of a batch, written by the table's own INSERT (no ORM bulk pass).
_INBOX_INSERT = insert(_INBOX)
#: PostgreSQL's test of a batch's event ids: ``= ANY($2::UUID[])``, one array parameter.
#: ``IN (…)`` is one parameter per id, so one statement text per batch size: asyncpg
#: prepared each new size again (a round trip), and every id went through SQLAlchemy's
#: parameter processing on its own.
_ANY_OF_IDS = _INBOX.c.event_id == any_(bindparam("ids", type_=ARRAY(_INBOX.c.event_id.type)))


def _runs(incoming: Sequence[_Incoming]) -> Iterator[list[_Incoming]]:
    """Consecutive events sent in one producer span (what one transaction emitted, or
    events emitted with no trace at all), in order."""
    run: list[_Incoming] = []
    trace_of_run: tuple[str | None, ...] = ()
    for item in incoming:
        trace_of_item = tuple(item.headers.get(h) for h in _TRACE_HEADERS)
        if run and trace_of_item != trace_of_run:
            yield run
            run = []
        run.append(item)
        trace_of_run = trace_of_item
    if run:
        yield run


class _Held(Exception):
    """The event waits out a transient failure in its paused partition."""


class PartitionGate:
    """Pauses one partition of a group's consumer while its head event waits.

    ``hold`` rewinds the partition to the waiting event and pauses it; after the
    partition's backoff (doubling per failure up to a cap, reset by a success) it is
    resumed and the event comes again. Commits then stop at that event: the consumer
    commits positions, and the position of a held partition is the waiting event.
    """

    def __init__(self, consumer: Any, *, initial: float, cap: float) -> None:
        self.consumer = consumer
        self.initial = initial
        self.cap = cap
        self.delays: dict[TopicPartition, float] = {}
        self.held: set[TopicPartition] = set()

    def new_batch(self) -> None:
        """Partitions held in an earlier batch were paused: their later records never came."""
        self.held.clear()

    def is_held(self, record: Record) -> bool:
        return TopicPartition(record.topic, record.partition) in self.held

    def hold(self, record: Record) -> float:
        """Pause ``record``'s partition at ``record``; returns the wait before it resumes."""
        tp = TopicPartition(record.topic, record.partition)
        delay = self.delays.get(tp, self.initial)
        self.delays[tp] = min(delay * 2, self.cap)
        self.held.add(tp)
        try:
            self.consumer.seek(tp, record.offset)
            self.consumer.pause(tp)
        except Exception as exc:  # partition revoked meanwhile: its new owner starts there
            log.info("could not pause %s: %s", tp, exc)
            return delay
        asyncio.get_running_loop().call_later(delay, self._resume, tp)
        return delay

    def release(self, record: Record) -> None:
        self.delays.pop(TopicPartition(record.topic, record.partition), None)

    def _resume(self, tp: TopicPartition) -> None:
        try:
            if tp in self.consumer.assignment():
                self.consumer.resume(tp)
        except Exception as exc:
            log.info("could not resume %s: %s", tp, exc)


@dataclass(kw_only=True, eq=False)
class EventConsumer:
    """One handler for one topic with inbox, retries and dead letters.

    Compared and hashed by identity: the metrics keep the live ones in a weak set."""

    broker: KafkaBroker
    topic: str
    consumer: str
    db: Database
    handler: Handler
    retries: Retries = field(default_factory=Retries)
    max_consecutive_dead_letters: int = 20
    stats: ConsumerStats = field(init=False, default_factory=ConsumerStats)
    _waiting: dict[tuple[str, int], float] = field(init=False, default_factory=dict)
    _tracer: trace.Tracer = field(init=False, repr=False)
    _duration: Histogram = field(init=False, repr=False)
    _attributes: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._tracer = trace.get_tracer("clashtor.bus", tracer_provider=tracer_provider())
        self._duration = handler_duration()
        self._attributes = {"topic": self.topic, "group": self.consumer}
        track_consumer(self)

    # -- one batch ------------------------------------------------------------------------
    async def handle_batch(
        self, records: Sequence[Record], gate: PartitionGate | None = None
    ) -> None:
        """Handle records of this topic in order, in one transaction when all succeed.

        Without a ``gate`` (no consumer to pause: direct calls) a transient failure is
        waited out in line, holding every partition.
        """
        accepted: list[tuple[Record, dict[str, str]]] = []
        for record in records:
            if gate is not None and gate.is_held(record):
                continue
            headers = {k: v.decode(errors="replace") for k, v in record.headers}
            target = headers.get(ONLY_FOR_HEADER)
            if target and target != self.consumer:
                self.stats.skipped += 1
                continue
            accepted.append((record, headers))
        incoming: list[_Incoming] = []
        parsed = parse_envelopes([record.value for record, _ in accepted])
        for (record, headers), envelope in zip(accepted, parsed, strict=True):
            if isinstance(envelope, InvalidEvent):
                log.error(
                    "rejected event on %s (partition %s offset %s): %s",
                    record.topic,
                    record.partition,
                    record.offset,
                    envelope,
                )
                await self._dead_letter(record, headers, envelope, attempts=0)
                continue
            incoming.append(_Incoming(record, headers, envelope))
        if not incoming:
            return
        if await self._apply_in_one_transaction(incoming):
            for item in incoming:
                self._passed(item.record, gate)
        else:
            # Something in the batch failed: nothing of it committed. Go one by one,
            # in order, each with its own retries and dead-lettering.
            for item in incoming:
                if gate is not None and gate.is_held(item.record):
                    continue  # an earlier event of its partition waits
                await self._handle_alone(item, gate)

    async def _apply_in_one_transaction(self, incoming: list[_Incoming]) -> bool:
        """Apply the whole batch in one transaction; False (and nothing applied) on error.

        The inbox is read once for the batch (one SELECT, in a read-only transaction of
        its own: ``Database.reading``) and written once (one multi-row INSERT) in the
        transaction of the effects. That transaction must not begin before the handlers
        need it: on SQLite it holds the database's write lock from its first statement, and
        on PostgreSQL it would hold a connection (and a lock on the inbox table) through a
        handler's slow work before its writes. A duplicate committed between the read and
        the INSERT fails the INSERT, and the batch goes again one event at a time. One
        ``handle`` span and one duration observation cover each run of events sent in one
        producer span (``_runs``), not one per event.

        The batch's session is the task's outermost (``Database.outermost``): once it
        wrote, a handler's own ``db.session()`` is a savepoint in it instead of a second
        connection waiting for the SQLite lock its own batch holds. The batch does not
        queue for the process's turn: a handler may do slow work before it writes (score),
        and the turn would hold every other session of the service meanwhile.
        """
        try:
            handled = await self._handled_ids([i.envelope.id for i in incoming])
            async with AsyncSession(self.db.engine, expire_on_commit=False) as session:
                with self.db.outermost(session):
                    claimed = await self._apply_runs(incoming, handled, session)
                    if claimed:  # one multi-row INSERT; a concurrent duplicate fails the batch
                        await (await session.connection()).execute(_INBOX_INSERT, claimed)
                    await session.commit()
        except Exception as exc:
            if len(incoming) > 1 or not isinstance(exc, PermanentError):
                log.info(
                    "batch of %d on %s failed (%s); retrying one by one",
                    len(incoming),
                    self.topic,
                    exc,
                )
            return False
        self.stats.handled += len(claimed)
        if claimed:
            self.stats.consecutive_dead_letters = 0
        return True

    async def _apply_runs(
        self, incoming: list[_Incoming], handled: set[Any], session: AsyncSession
    ) -> list[dict[str, Any]]:
        """Run the handler on each event not ``handled`` yet; the inbox rows to write."""
        claimed: list[dict[str, Any]] = []
        for run in _runs(incoming):
            with self._span(run), self._timed(run):
                for item in run:
                    env = item.envelope
                    if env.id in handled:
                        self.stats.duplicates += 1
                        continue
                    with log_context(org_id=env.org_id):
                        await self.handler(env, session)
                    claimed.append(
                        {"consumer": self.consumer, "event_id": env.id, "event_type": env.type}
                    )
                    handled.add(env.id)
        return claimed

    async def _handled_ids(self, ids: list[Any]) -> set[Any]:
        """Which of ``ids`` were handled, read in a snapshot of their own (no write lock)."""
        among, params = (
            (_INBOX.c.event_id.in_(ids), {}) if self.db.is_sqlite else (_ANY_OF_IDS, {"ids": ids})
        )
        query = select(_INBOX.c.event_id).where(_INBOX.c.consumer == self.consumer, among)
        async with self.db.reading() as connection:  # a Core statement: no ORM pass
            rows = await connection.execute(query, params)
            return set(rows.scalars().all())

    # -- one event, with retries ----------------------------------------------------------
    async def _handle_alone(self, item: _Incoming, gate: PartitionGate | None = None) -> None:
        env = item.envelope
        try:
            await self._apply_until_not_transient(item, gate)
        except _Held:
            return
        except Exception as exc:
            log.exception("event %s %s failed for %s", env.type, env.id, self.consumer)
            self.stats.last_error = repr(exc)
            if self.stats.consecutive_dead_letters >= self.max_consecutive_dead_letters:
                # Too many in a row: more likely our fault than the messages'. Stall.
                await asyncio.sleep(min(self.retries.backoff_seconds * 10, 5))
                raise
            attempts = 1 if isinstance(exc, PermanentError) else self.retries.max_attempts
            await self._dead_letter(item.record, item.headers, exc, attempts=attempts)
            return
        self.stats.consecutive_dead_letters = 0

    async def _apply_until_not_transient(
        self, item: _Incoming, gate: PartitionGate | None = None
    ) -> None:
        """Apply once; transient failures retried without end, others up to max_attempts."""
        env = item.envelope
        where = (item.record.topic, item.record.partition)
        failures = 0
        delay = self.retries.backoff_seconds
        while True:
            try:
                with (
                    self._span([item]),
                    self._timed([item]),
                    log_context(org_id=env.org_id),
                ):
                    await self.apply(env)
            except PermanentError:
                raise
            except Exception as exc:
                self.stats.retries += 1
                if not is_transient(exc):
                    failures += 1
                    if failures >= self.retries.max_attempts:
                        raise
                elif gate is not None:
                    self._note_transient(env, exc, gate.hold(item.record), where)
                    raise _Held from exc
                else:
                    self._note_transient(env, exc, delay, where)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retries.backoff_max)
                continue
            self._passed(item.record, gate)
            return

    def _passed(self, record: Record, gate: PartitionGate | None) -> None:
        """An event of this partition went through: it waits no more."""
        if gate is not None:
            gate.release(record)
        if self._waiting.pop((record.topic, record.partition), None) is not None:
            self.stats.waiting_since = min(self._waiting.values(), default=None)

    def _note_transient(
        self, env: Envelope, exc: BaseException, delay: float, where: tuple[str, int]
    ) -> None:
        first = where not in self._waiting
        if first:
            self._waiting[where] = time.monotonic()
        self.stats.waiting_since = min(self._waiting.values())
        self.stats.transient_retries += 1
        self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
        # One line when it starts, then one per backoff step (capped: a few a minute).
        (log.warning if first else log.info)(
            "transient failure on %s[%s] for %s (event %s), retrying in %.1fs: %s",
            self.topic,
            where[1],
            self.consumer,
            env.id,
            delay,
            self.stats.last_error,
        )

    async def apply(self, envelope: Envelope) -> bool:
        """Run the handler once per event id; False if it was already handled."""
        if envelope.id in await self._handled_ids([envelope.id]):
            self.stats.duplicates += 1
            return False
        async with AsyncSession(self.db.engine, expire_on_commit=False) as session:
            with self.db.outermost(session):
                await self.handler(envelope, session)
            if not await claim(session, self.consumer, envelope.id, envelope.type):
                await session.rollback()
                self.stats.duplicates += 1
                return False
            await session.commit()
        self.stats.handled += 1
        return True

    @contextmanager
    def _span(self, run: Sequence[_Incoming]) -> Iterator[None]:
        """One ``handle`` span for ``run``: a child of the producer's span named in the
        Kafka headers, which every event of the run shares."""
        with kafka_span(
            self._tracer,
            run[0].headers,
            operation="handle",
            topic=self.topic,
            message_id=str(run[0].envelope.id),
            group=self.consumer,
        ) as span:
            if len(run) > 1:
                span.set_attribute("messaging.batch.message_count", len(run))
            yield

    @contextmanager
    def _timed(self, run: Sequence[_Incoming]) -> Iterator[None]:
        """Handler calls on ``run``: one duration observation, the mean per event (one
        observation per event cost more than many handlers)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self._duration.record(elapsed / len(run), self._attributes)

    async def _dead_letter(
        self, record: Record, headers: dict[str, str], exc: BaseException, *, attempts: int
    ) -> None:
        dl_headers = dead_letter_headers(
            headers,
            exc,
            topic=self.topic,
            consumer=self.consumer,
            attempts=attempts,
            partition=record.partition,
            offset=record.offset,
        )
        await self.broker.publish(
            record.value, dlq_topic(self.topic), key=record.key, headers=dl_headers
        )
        self.stats.dead_lettered += 1
        self.stats.consecutive_dead_letters += 1
        log.error(
            "dead-lettered %s offset %s for %s: %s", self.topic, record.offset, self.consumer, exc
        )


def dead_letter_headers(
    headers: Mapping[str, str],
    exc: BaseException,
    *,
    topic: str,
    consumer: str,
    attempts: int,
    partition: int | None = None,
    offset: int | None = None,
) -> dict[str, str]:
    """The headers of a dead letter: the original's, plus why and where it failed
    (partition and offset when it came straight off the topic)."""
    out = {k: v for k, v in headers.items() if not k.startswith("x-dlq-")}
    out.pop(ONLY_FOR_HEADER, None)
    out.update(
        {
            "x-dlq-error": f"{type(exc).__name__}: {exc}"[:2000],
            "x-dlq-topic": topic,
            "x-dlq-consumer": consumer,
            "x-dlq-attempts": str(attempts),
            "x-dlq-time": datetime.now(UTC).isoformat(),
        }
    )
    if partition is not None and offset is not None:
        out["x-dlq-partition"], out["x-dlq-offset"] = str(partition), str(offset)
    return out


_ROUTES_ATTR = "_clashtor_routes"
_SUBSCRIBERS_ATTR = "_clashtor_subscribers"
_GROUP_OPTIONS_ATTR = "_clashtor_group_options"


def subscribe(
    broker: KafkaBroker,
    topic: str,
    *,
    settings: ServiceSettings,
    db: Database,
    handler: Handler,
    group_id: str | None = None,
) -> EventConsumer:
    """Register ``handler`` for ``topic`` in the service's consumer group.

    All topics of one group share one Kafka consumer (one group join, one rebalance),
    created by ``start_broker``; records are dispatched to the handler of their topic.
    """
    consumer = EventConsumer(
        broker=broker,
        topic=topic,
        consumer=group_id or settings.consumer_group,
        db=db,
        handler=handler,
        retries=settings.consumer_retries(),
        max_consecutive_dead_letters=settings.consumer_max_consecutive_dead_letters,
    )
    routes: dict[str, dict[str, EventConsumer]] = broker.__dict__.setdefault(_ROUTES_ATTR, {})
    group = routes.setdefault(consumer.consumer, {})
    if topic in group:
        raise ValueError(f"{consumer.consumer} already handles {topic}")
    group[topic] = consumer
    broker.__dict__.setdefault(_GROUP_OPTIONS_ATTR, {})[consumer.consumer] = group_options(settings)
    return consumer


def group_options(settings: ServiceSettings) -> dict[str, int]:
    """The group's consumer options from the service's settings (aiokafka's names)."""
    return {
        "max_records": settings.consumer_batch_size,
        "session_timeout_ms": settings.consumer_session_timeout_ms,
        "heartbeat_interval_ms": settings.consumer_heartbeat_interval_ms,
        "fetch_max_wait_ms": settings.consumer_fetch_max_wait_ms,
    }


def _attach_subscribers(broker: KafkaBroker) -> None:
    routes: dict[str, dict[str, EventConsumer]] = broker.__dict__.get(_ROUTES_ATTR, {})
    attached: set[str] = broker.__dict__.setdefault("_clashtor_attached", set())
    for group_id, by_topic in routes.items():
        if group_id in attached:
            continue
        attached.add(group_id)
        subscriber = broker.subscriber(
            *sorted(by_topic),
            group_id=group_id,
            batch=True,
            **broker.__dict__[_GROUP_OPTIONS_ATTR][group_id],
            batch_timeout_ms=100,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_not_decoded,
            auto_offset_reset="earliest",
            max_poll_interval_ms=30 * 60 * 1000,
            title=group_id,
        )
        subscriber(_dispatcher(by_topic))
        broker.__dict__.setdefault(_SUBSCRIBERS_ATTR, {})[group_id] = subscriber


async def _not_decoded(_msg: Any) -> None:
    """The dispatcher reads the records themselves: FastStream's default decoder would
    decode every message of a batch as JSON only to have it thrown away."""
    return None


def _dispatcher(by_topic: dict[str, EventConsumer]) -> Callable[[KafkaMessage], Awaitable[None]]:
    gates: dict[int, PartitionGate] = {}
    any_consumer = next(iter(by_topic.values()))

    async def dispatch(msg: KafkaMessage) -> None:
        raw = msg.raw_message
        records: tuple[Record, ...] = raw if isinstance(raw, tuple) else (raw,)
        consumer = getattr(msg, "consumer", None)
        gate: PartitionGate | None = None
        if consumer is not None:
            gate = gates.get(id(consumer))
            if gate is None:
                gates.clear()  # a new consumer (restarted subscriber): new gate
                gate = gates[id(consumer)] = PartitionGate(
                    consumer,
                    initial=any_consumer.retries.backoff_seconds,
                    cap=any_consumer.retries.backoff_max,
                )
            gate.new_batch()
        # Keep order: consecutive records of one topic form one run.
        run: list[Record] = []
        for record in records:
            if run and record.topic != run[0].topic:
                await by_topic[run[0].topic].handle_batch(run, gate)
                run = []
            run.append(record)
        if run:
            await by_topic[run[0].topic].handle_batch(run, gate)

    return dispatch


async def start_broker(broker: KafkaBroker) -> None:
    """Attach the registered handlers (one consumer per group) and start the broker."""
    _attach_subscribers(broker)
    await broker.start()


def subscribed_topics(broker: KafkaBroker) -> dict[str, tuple[str, ...]]:
    """``{group: topics}`` as registered in code (used by the deployment ACL check)."""
    routes: dict[str, dict[str, EventConsumer]] = broker.__dict__.get(_ROUTES_ATTR, {})
    return {group: tuple(sorted(topics)) for group, topics in routes.items()}


def group_subscribers(broker: KafkaBroker) -> dict[str, Any]:
    """``{group: FastStream subscriber}`` once started (its ``.consumer`` is aiokafka's)."""
    return dict(broker.__dict__.get(_SUBSCRIBERS_ATTR, {}))
