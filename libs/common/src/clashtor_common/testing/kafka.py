"""Kafka helpers for tests that share one broker across modules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from clashtor_common.events import Envelope, EventPayload, make_event, parse_envelope

FAST_GROUP_JOIN: dict[str, int] = {
    "consumer_session_timeout_ms": 3_000,
    "consumer_heartbeat_interval_ms": 500,
}
"""Consumer group settings of every service a test runs: Tansu holds a group join for
half the session timeout (5 s at Kafka's client default of 10 s, paid by every service
start), and a member killed without leaving keeps its partitions for the whole of it."""


def fast_group_join_env(service: str) -> dict[str, str]:
    """``FAST_GROUP_JOIN`` as the environment of ``service``'s process."""
    return {f"{service.upper()}_{name.upper()}": str(v) for name, v in FAST_GROUP_JOIN.items()}


def event_for(payload: EventPayload, org_id: str, key: str | None = None) -> Envelope:
    """An envelope as another service would emit it (source ``test``, no trace)."""
    return make_event(payload, source="test", org_id=org_id, key=key, trace={})


async def publish(bootstrap: str, *envelopes: Envelope) -> None:
    """Put ``envelopes`` on their topics, each keyed as the outbox relay keys it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for env in envelopes:
            await producer.send_and_wait(env.type, env.to_bytes(), key=env.key.encode())
    finally:
        await producer.stop()


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
    """Reads one topic from the beginning; keeps every parsed envelope and its raw bytes.

    Match by a predicate (``wait_for``) or by payload values (``wait_for_data``,
    ``matching``); ``drain`` reads until the topic is quiet, to prove an absence.
    """

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
        self.raw: list[bytes] = []

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
                    self.raw.append(m.value)
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

    async def wait_for_raw(
        self, match: Callable[[Envelope], bool], count: int = 1, timeout: float = 45
    ) -> list[bytes]:
        """The bytes on the wire of the matching events (to prove what they never hold)."""
        found = await self.wait_for(match, count, timeout)
        return [raw for raw, e in zip(self.raw, self.seen, strict=True) if e in found]

    def matching(self, **data: Any) -> list[Envelope]:
        """The envelopes whose payload has all these values."""
        return [e for e in self.seen if all(e.data.get(k) == v for k, v in data.items())]

    async def wait_for_data(self, timeout: float = 120.0, **data: Any) -> Envelope:
        """The first envelope whose payload has all these values."""
        [first, *_] = await self.wait_for(
            lambda e: all(e.data.get(k) == v for k, v in data.items()), timeout=timeout
        )
        return first

    async def drain(self) -> None:
        """Read everything published so far (two empty polls in a row)."""
        empty = 0
        while empty < 2:
            before = len(self.seen)
            await self.poll()
            empty = empty + 1 if len(self.seen) == before else 0

    def for_org(self, org_id: str) -> list[Envelope]:
        return [e for e in self.seen if e.org_id == org_id]


def topic_reader_fixture(topic: str, reader_class: type[TopicReader] = TopicReader) -> Any:
    """A module-scoped fixture reading ``topic``: ``exports = topic_reader_fixture("...")``;
    ``reader_class`` is a service's own subclass (with its matchers), if it has one."""

    @pytest.fixture(scope="module")
    async def reader(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
        started = await reader_class(kafka_bootstrap, topic).start()
        try:
            yield started
        finally:
            await started.stop()

    return reader
