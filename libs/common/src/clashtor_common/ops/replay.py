"""Replay and redrive without touching other consumers.

A replayed or redriven message is re-published to its original topic with the
``x-only-for`` header naming one consumer group: that service handles it, every other
group skips it. The target's inbox makes a replay of already-handled events change
nothing; erased subjects are protected by each service's tombstones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, Unpack

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from clashtor_common.bus import ONLY_FOR_HEADER
from clashtor_common.events import dlq_topic


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def event_id(self) -> str | None:
        try:
            return str(json.loads(self.value).get("id"))
        except (ValueError, AttributeError):
            return None


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    from_offset: int | None = None,
    to_offset: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    timeout_ms: int = 2000,
) -> list[Record]:
    """All records of ``topic`` within the offset or time range, across partitions."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        if parts is None:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        for tp in tps:
            start = starts[tp]
            if since is not None:
                found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000)})
                start = found[tp].offset if found.get(tp) else ends[tp]
            elif from_offset is not None:
                start = max(from_offset, starts[tp])
            consumer.seek(tp, start)
        # Read until the broker has nothing more, not up to the end offsets it reports:
        # Tansu's S3 engine (make up) answers ListOffsets with a stale end while the
        # records are there, which would cut the read short.
        records: list[Record] = []
        while True:
            batch = await consumer.getmany(*tps, timeout_ms=timeout_ms)
            if not batch:
                break
            for msgs in batch.values():
                records.extend(
                    Record(
                        m.topic,
                        m.partition,
                        m.offset,
                        m.timestamp,
                        m.key,
                        m.value,
                        {k: v.decode(errors="replace") for k, v in m.headers},
                    )
                    for m in msgs
                )
        in_range: Callable[[Record], bool] = lambda r: (  # noqa: E731
            (to_offset is None or r.offset <= to_offset)
            and (until is None or r.timestamp <= until.timestamp() * 1000)
        )
        return sorted(filter(in_range, records), key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def read_topics(
    bootstrap: str, topics: Iterable[str], *, timeout_ms: int = 2000
) -> dict[str, list[Record]]:
    """``read_topic`` of each topic, all at once: each read ends only after the broker
    has been idle for ``timeout_ms``, so one after another the waits add up."""
    names = list(topics)
    reads = await asyncio.gather(*(read_topic(bootstrap, t, timeout_ms=timeout_ms) for t in names))
    return dict(zip(names, reads, strict=True))


def replayable(records: Iterable[Record], consumer: str) -> list[Record]:
    """The records ``consumer`` handles: all but those replayed for another consumer."""
    return [r for r in records if r.headers.get(ONLY_FOR_HEADER) in (None, consumer)]


async def republish(bootstrap: str, topic: str, records: list[Record], consumer: str) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for r in records:
            headers = {k: v for k, v in r.headers.items() if not k.startswith("x-dlq-")}
            headers[ONLY_FOR_HEADER] = consumer
            await producer.send(
                topic,
                r.value,
                key=r.key,
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
        await producer.flush()
    finally:
        await producer.stop()
    return len(records)


class Span(TypedDict, total=False):
    """The range of a topic ``read_topic`` reads: by offsets or by record times."""

    from_offset: int | None
    to_offset: int | None
    since: datetime | None
    until: datetime | None


async def replay(bootstrap: str, topic: str, *, consumer: str, **span: Unpack[Span]) -> int:
    """Re-deliver a range of ``topic`` (``span``, as ``read_topic`` takes it) to one consumer
    group only."""
    records = await read_topic(bootstrap, topic, **span)
    return await republish(bootstrap, topic, replayable(records, consumer), consumer)


async def dead_letters(bootstrap: str, topic: str) -> list[Record]:
    return await read_topic(bootstrap, dlq_topic(topic))


async def redrive_dead_letters(
    bootstrap: str,
    topic: str,
    *,
    consumer: str,
    event_ids: set[str] | None = None,
    offsets: set[tuple[int, int]] | None = None,
) -> int:
    """Send dead letters of ``consumer`` back to ``topic`` for that consumer only;
    ``offsets`` picks them by ``(partition, offset)`` in the DLQ topic."""
    chosen = [
        r
        for r in await dead_letters(bootstrap, topic)
        if r.headers.get("x-dlq-consumer") == consumer
        and (event_ids is None or r.event_id in event_ids)
        and (offsets is None or (r.partition, r.offset) in offsets)
    ]
    # One redrive per event id, even if it was dead-lettered several times.
    seen: set[str | None] = set()
    unique = []
    for r in chosen:
        ident = r.event_id or f"{r.partition}:{r.offset}"
        if ident not in seen:
            seen.add(ident)
            unique.append(r)
    return await republish(bootstrap, topic, unique, consumer)


@dataclass
class GroupLag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(self.end - max(self.committed, 0), 0)


async def consumer_lag(bootstrap: str) -> list[GroupLag]:
    """Committed offset and lag per consumer group, topic and partition.

    Committed offsets are read through a group member's OffsetFetch (what every broker,
    Tansu included, answers), not the admin API.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups()]
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await reader.start()
    try:
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(reader.partitions_for_topic(t) or ())
        ]
        ends = await reader.end_offsets(tps) if tps else {}
    finally:
        await reader.stop()
    rows: list[GroupLag] = []
    for group in sorted(groups):
        member = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
        )
        await member.start()
        try:
            for tp in tps:
                committed = await member.committed(tp)
                if committed is not None:
                    rows.append(GroupLag(group, tp.topic, tp.partition, committed, ends[tp]))
        finally:
            await member.stop()
    return rows


async def list_topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def resend_outbox(
    database_url: str, bootstrap: str, *, since: datetime, until: datetime | None = None
) -> int:
    """Re-publish a service's outbox rows created in ``[since, until]`` (disaster recovery)."""
    from clashtor_common.db import Database
    from clashtor_common.outbox import OutboxRelay

    db = Database(database_url)
    relay = OutboxRelay(db, {"bootstrap_servers": bootstrap})
    try:
        return await relay.resend(since, until)
    finally:
        await relay.stop()
        await db.dispose()
