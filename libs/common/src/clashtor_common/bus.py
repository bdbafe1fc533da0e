"""The Kafka bus: broker factory and the exactly-once-in-effect subscriber.

Delivery rules (see DESIGN.md):

- one consumer group per service; offsets are committed only after the handler's
  transaction committed (``AckPolicy.NACK_ON_ERROR``: an unhandled error seeks back);
- the handler's effect, its inbox record and the events it emits commit together, so
  a duplicate or a redelivery after a crash changes nothing twice;
- a failing message is retried with backoff, then moved to ``<topic>.dlq`` with the
  error in its headers; a malformed or unknown-version event, or a ``PermanentError``,
  goes there at once;
- after too many dead letters in a row the consumer stops dead-lettering and keeps
  retrying instead (a bad deploy stalls rather than dead-lettering everything).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select
from tenacity import (
    AsyncRetrying,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from clashtor_common.db import Database
from clashtor_common.events import Envelope, InvalidEvent, dlq_topic, parse_envelope
from clashtor_common.inbox import InboxRecord, claim
from clashtor_common.settings import ServiceSettings
from clashtor_common.telemetry import tracer_provider

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, AsyncSession], Awaitable[None]]

#: Header naming the one consumer group a redriven or replayed message is meant for.
ONLY_FOR_HEADER = "x-only-for"


class PermanentError(Exception):
    """Input that can never succeed: dead-letter at once, do not retry."""


def make_broker(settings: ServiceSettings, **kwargs: Any) -> KafkaBroker:
    """A FastStream Kafka broker with tracing, named after the service."""
    return KafkaBroker(
        settings.kafka_bootstrap,
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
    dead_letter_times: list[float] = field(default_factory=list)


class EventConsumer:
    """Runs one handler for one topic with inbox, retries and dead letters."""

    def __init__(
        self,
        *,
        broker: KafkaBroker,
        topic: str,
        consumer: str,
        db: Database,
        handler: Handler,
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
        max_consecutive_dead_letters: int = 20,
    ) -> None:
        self.broker = broker
        self.topic = topic
        self.consumer = consumer
        self.db = db
        self.handler = handler
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_consecutive_dead_letters = max_consecutive_dead_letters
        self.stats = ConsumerStats()

    async def handle_message(self, msg: KafkaMessage) -> None:
        headers = {
            k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in msg.headers.items()
        }
        target = headers.get(ONLY_FOR_HEADER)
        if target and target != self.consumer:
            self.stats.skipped += 1
            return
        raw: bytes = msg.body
        try:
            envelope = parse_envelope(raw)
        except InvalidEvent as exc:
            log.error(
                "rejected event on %s (partition %s offset %s): %s",
                self.topic,
                msg.raw_message.partition,
                msg.raw_message.offset,
                exc,
            )
            await self._dead_letter(msg, headers, exc, attempts=0)
            return
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.max_attempts),
                wait=wait_exponential_jitter(initial=self.backoff_seconds, max=10),
                retry=retry_if_not_exception_type(PermanentError),
                reraise=True,
            ):
                with attempt:
                    await self.apply(envelope)
        except Exception as exc:
            log.exception("event %s %s failed for %s", envelope.type, envelope.id, self.consumer)
            self.stats.last_error = repr(exc)
            if self.stats.consecutive_dead_letters >= self.max_consecutive_dead_letters:
                # Too many in a row: more likely our fault than the messages'. Stall.
                await asyncio.sleep(min(self.backoff_seconds * 10, 5))
                raise
            attempts = 1 if isinstance(exc, PermanentError) else self.max_attempts
            await self._dead_letter(msg, headers, exc, attempts=attempts)
            return
        self.stats.consecutive_dead_letters = 0

    async def apply(self, envelope: Envelope) -> bool:
        """Run the handler once per event id; False if it was already handled."""
        if await self.already_handled(envelope):
            self.stats.duplicates += 1
            return False
        async with AsyncSession(self.db.engine, expire_on_commit=False) as session:
            await self.handler(envelope, session)
            if not await claim(session, self.consumer, envelope.id, envelope.type):
                await session.rollback()
                self.stats.duplicates += 1
                return False
            await session.commit()
        self.stats.handled += 1
        return True

    async def already_handled(self, envelope: Envelope) -> bool:
        async with self.db.session() as session:
            found = await session.execute(
                select(InboxRecord.event_id).where(
                    InboxRecord.consumer == self.consumer, InboxRecord.event_id == envelope.id
                )
            )
            return found.first() is not None

    async def _dead_letter(
        self, msg: KafkaMessage, headers: dict[str, str], exc: BaseException, *, attempts: int
    ) -> None:
        raw = msg.raw_message
        dl_headers = {
            **{k: v for k, v in headers.items() if not k.startswith("x-dlq-")},
            "x-dlq-error": f"{type(exc).__name__}: {exc}"[:2000],
            "x-dlq-topic": self.topic,
            "x-dlq-partition": str(raw.partition),
            "x-dlq-offset": str(raw.offset),
            "x-dlq-consumer": self.consumer,
            "x-dlq-attempts": str(attempts),
            "x-dlq-time": datetime.now(UTC).isoformat(),
        }
        dl_headers.pop(ONLY_FOR_HEADER, None)
        await self.broker.publish(msg.body, dlq_topic(self.topic), key=raw.key, headers=dl_headers)
        self.stats.dead_lettered += 1
        self.stats.consecutive_dead_letters += 1
        self.stats.dead_letter_times.append(time.time())
        log.error(
            "dead-lettered %s offset %s for %s: %s", self.topic, raw.offset, self.consumer, exc
        )


_ROUTES_ATTR = "_clashtor_routes"


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
    created by ``start_broker``; messages are dispatched to the handler of their topic.
    """
    consumer = EventConsumer(
        broker=broker,
        topic=topic,
        consumer=group_id or settings.consumer_group,
        db=db,
        handler=handler,
        max_attempts=settings.consumer_max_attempts,
        backoff_seconds=settings.consumer_backoff_seconds,
        max_consecutive_dead_letters=settings.consumer_max_consecutive_dead_letters,
    )
    routes: dict[str, dict[str, EventConsumer]] = broker.__dict__.setdefault(_ROUTES_ATTR, {})
    group = routes.setdefault(consumer.consumer, {})
    if topic in group:
        raise ValueError(f"{consumer.consumer} already handles {topic}")
    group[topic] = consumer
    return consumer


def _attach_subscribers(broker: KafkaBroker) -> None:
    routes: dict[str, dict[str, EventConsumer]] = broker.__dict__.get(_ROUTES_ATTR, {})
    attached: set[str] = broker.__dict__.setdefault("_clashtor_attached", set())
    for group_id, by_topic in routes.items():
        if group_id in attached:
            continue
        attached.add(group_id)

        async def dispatch(
            msg: KafkaMessage, _by_topic: dict[str, EventConsumer] = by_topic
        ) -> None:
            await _by_topic[msg.raw_message.topic].handle_message(msg)

        broker.subscriber(
            *sorted(by_topic),
            group_id=group_id,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            max_poll_interval_ms=30 * 60 * 1000,
            title=group_id,
        )(_dispatcher(by_topic))


def _dispatcher(by_topic: dict[str, EventConsumer]) -> Callable[[KafkaMessage], Awaitable[None]]:
    async def dispatch(msg: KafkaMessage) -> None:
        await by_topic[msg.raw_message.topic].handle_message(msg)

    return dispatch


async def start_broker(broker: KafkaBroker) -> None:
    """Attach the registered handlers (one consumer per group) and start the broker."""
    _attach_subscribers(broker)
    await broker.start()


def subscribed_topics(broker: KafkaBroker) -> dict[str, tuple[str, ...]]:
    """``{group: topics}`` as registered in code (used by the deployment ACL check)."""
    routes: dict[str, dict[str, EventConsumer]] = broker.__dict__.get(_ROUTES_ATTR, {})
    return {group: tuple(sorted(topics)) for group, topics in routes.items()}
