"""Topics ensured at start, and a watch that halts a service whose broker lost its log.

Every service creates the topics it may touch when it starts (``ensure_topics``), not
only ``make up``: a broker that came back empty gets its topics from whichever service
starts first, and no producer writes into a topic that nobody created.

``LogWatch`` checks, every ``broker_check_seconds``, that the topics the service
consumes still exist and that its consumer does not stand beyond the end of a
partition (the broker restarted without its log). On that evidence, seen twice in a row, it stops the
service's consumers and its outbox relay, turns ``/readyz`` not-ready with the reason,
and logs the reason once a minute instead of the client library's endless retries.
What to do then is in the message: restore the broker, re-publish what it lost with
``clashtor-ops outbox resend --service S --since T`` from each service, restart.
A broker merely down (no answer) is not evidence: clients reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from clashtor_common.bus import group_subscribers, subscribed_topics
from clashtor_common.events import ALL_TOPICS, dlq_topic

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60.0


async def ensure_topics(
    client_kwargs: dict[str, Any], topics: Iterable[str] = ALL_TOPICS, partitions: int = 3
) -> list[str]:
    """Create each topic and its dead-letter topic if missing; returns the ones created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    wanted = set(topics)
    wanted |= {dlq_topic(t) for t in wanted}
    admin = AIOKafkaAdminClient(**client_kwargs)
    await admin.start()
    try:
        missing = sorted(wanted - set(await admin.list_topics()))
        if missing:
            # Another service may create the same topics at the same time: the broker
            # answers "already exists" for those, which is the outcome we want.
            await admin.create_topics(
                [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
            )
        return missing
    finally:
        await admin.close()


class LogWatch:
    """Halts consuming and publishing when the broker has lost topics or offsets."""

    def __init__(
        self,
        broker: KafkaBroker,
        client_kwargs: dict[str, Any],
        *,
        service: str,
        topics: Iterable[str] = (),
        every_seconds: float = 30.0,
        on_halt: Any = None,
    ) -> None:
        self.broker = broker
        self.client_kwargs = client_kwargs
        self.service = service
        self.topics = tuple(topics)
        self.every_seconds = every_seconds
        self.on_halt = on_halt
        self.halted: str | None = None
        self._suspect: str | None = None
        self._last_log = 0.0
        self._meta: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.every_seconds)
                if self.halted:
                    self._log_halted()
                    continue
                try:
                    problem = await asyncio.wait_for(self.check(), timeout=30)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # broker away: not evidence of loss
                    log.debug("broker check inconclusive: %s", exc)
                    continue
                if problem and problem == self._suspect:
                    await self.halt(problem)
                self._suspect = problem
        finally:
            await self.close()

    async def check(self) -> str | None:
        """What the broker has lost, or None if all is where it should be."""
        meta = await self._meta_consumer()
        known = await meta.topics()
        # The topics it consumes: the only ones its Kafka user may be allowed to see.
        watched = self.topics or sorted(
            {t for topics in subscribed_topics(self.broker).values() for t in topics}
        )
        gone = [t for t in watched if t not in known]
        if gone:
            return f"topics {', '.join(gone)} are gone: the broker lost its log"
        for group, subscriber in group_subscribers(self.broker).items():
            consumer: AIOKafkaConsumer | None = getattr(subscriber, "consumer", None)
            if consumer is None:
                continue
            assigned = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
            if not assigned:
                continue
            ends: dict[TopicPartition, int] = await meta.end_offsets(assigned)
            for tp in assigned:
                position = await asyncio.wait_for(consumer.position(tp), timeout=5)
                if position > ends.get(tp, 0) and not await self.has_record(tp, position - 1):
                    return (
                        f"{group} stands at offset {position} of {tp.topic}[{tp.partition}] "
                        f"but the log ends at {ends.get(tp, 0)}: the broker lost events"
                    )
        return None

    async def _meta_consumer(self) -> AIOKafkaConsumer:
        if self._meta is None:
            meta = AIOKafkaConsumer(enable_auto_commit=False, **self.client_kwargs)
            await meta.start()
            self._meta = meta
        return self._meta

    async def close(self) -> None:
        if self._meta is not None:
            await self._meta.stop()
            self._meta = None

    async def has_record(self, tp: TopicPartition, offset: int) -> bool:
        """Whether the broker still has the record at ``offset``.

        Tansu's S3 engine answers ListOffsets with a stale end offset while the records
        are there, so "position beyond the end" alone is not evidence: reading the last
        record the consumer had is.
        """
        meta = await self._meta_consumer()
        meta.assign([tp])
        meta.seek(tp, offset)
        batches = await meta.getmany(tp, timeout_ms=3000, max_records=1)
        return any(m.offset >= offset for m in batches.get(tp, []))

    async def halt(self, reason: str) -> None:
        if self.on_halt is not None:
            self.on_halt(reason)
        self.halted = reason
        for subscriber in group_subscribers(self.broker).values():
            try:
                await subscriber.stop()
            except Exception as exc:
                log.warning("stopping a consumer failed: %s", exc)
        self._last_log = 0.0
        self._log_halted()

    def _log_halted(self) -> None:
        now = time.monotonic()
        if now - self._last_log < LOG_EVERY_SECONDS:
            return
        self._last_log = now
        log.error(
            "%s stopped consuming and publishing: %s. Restore the broker's storage, or "
            "re-publish what it lost with `clashtor-ops outbox resend --service <each "
            "service> --since <before the loss>`, then restart %s.",
            self.service,
            self.halted,
            self.service,
        )
