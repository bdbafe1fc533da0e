"""Kafka helpers for tests that share one broker across modules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from clashtor_common.events import Envelope, parse_envelope


async def start_group_at_end(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    """Commit ``group``'s offsets at the current end of ``topics``.

    The bus starts a new group at the earliest offset, and a session's broker already
    holds other modules' events (encrypted under other test keys). A fresh test group
    starts at the end instead, so a module sees only its own events.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the cluster metadata
        parts = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if len({p.topic for p in parts}) != len(topics):
            raise RuntimeError(f"no partitions known for some of {topics}")
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


class TopicReader:
    """Reads one topic from the beginning; keeps every parsed envelope."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.seen: list[Envelope] = []

    async def start(self) -> TopicReader:
        await self.consumer.start()
        return self

    async def stop(self) -> None:
        await self.consumer.stop()

    async def poll(self) -> None:
        batches = await self.consumer.getmany(timeout_ms=200)
        for messages in batches.values():
            for m in messages:
                if m.value is not None:
                    self.seen.append(parse_envelope(m.value))

    async def wait_for(
        self, match: Callable[[Envelope], bool], count: int = 1, timeout: float = 45
    ) -> list[Envelope]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [e for e in self.seen if match(e)]
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{count} matching event(s) not seen on {self.topic}")
            await self.poll()

    def for_org(self, org_id: str) -> list[Envelope]:
        return [e for e in self.seen if e.org_id == org_id]
