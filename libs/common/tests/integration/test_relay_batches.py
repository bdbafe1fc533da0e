"""The relay fills one record batch per partition itself: each key still lands on the
partition aiokafka's own ``send`` picks for it, in the order the rows were emitted, and a
batch that fills up is sent and followed by the next one, in order."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from clashtor_common import outbox as outbox_module
from clashtor_common.db import Database
from clashtor_common.embedded import ensure_topics
from clashtor_common.events import CallFailed, Envelope, make_event
from clashtor_common.outbox import OutboxRecord, OutboxRelay, emit, pending_count

from .support import sample_event


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[int, Envelope]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        got: list[tuple[int, Envelope]] = []
        while len(got) < expected:
            batches = await consumer.getmany(timeout_ms=5000)
            if not batches:
                break
            for tp, records in batches.items():
                got += [(tp.partition, Envelope.model_validate_json(r.value)) for r in records]
        return got
    finally:
        await consumer.stop()


@pytest.mark.parametrize("batch_bytes", [512 * 1024, 4096], ids=["one batch", "full batches"])
async def test_each_key_goes_to_its_partition_in_order(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_bytes: int
) -> None:
    monkeypatch.setattr(outbox_module, "_BATCH_BYTES", batch_bytes)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/service.db")
    await db.create_all(OutboxRecord)
    topic = f"test-relaybatch-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=3)
    keys = [f"call-{n}" for n in range(7)]
    emitted: list[Envelope] = []
    for start in range(0, 120, 40):  # three transactions, keys interleaved
        async with db.session() as s:
            for n in range(start, start + 40):
                event = sample_event(call=keys[n % len(keys)])
                emitted.append(event)
                await emit(s, event, topic=topic)
    relay = OutboxRelay(db, {"bootstrap_servers": kafka_bootstrap}, batch_size=500)
    try:
        assert await relay.publish_pending() == 120
        assert await pending_count(db) == 0
    finally:
        await relay.stop()
        await db.dispose()

    got = await _read_all(kafka_bootstrap, topic, 120)
    assert sorted(str(e.id) for _, e in got) == sorted(str(e.id) for e in emitted)
    partitioner = DefaultPartitioner()
    for key in keys:
        landed = [(partition, e) for partition, e in got if e.key == key]
        assert {p for p, _ in landed} == {partitioner(key.encode(), [0, 1, 2], [0, 1, 2])}
        assert [e.id for _, e in landed] == [e.id for e in emitted if e.key == key]


@pytest.mark.parametrize("backend", ["sqlite", "service database"])
async def test_a_row_too_large_for_a_request_is_left_unsent_and_the_rest_flows(
    kafka_bootstrap: str,
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    """An oversized row went out alone in a batch the broker refused, every round: no
    row after it was ever published (the relay's own size error could not fire)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/service.db" if backend == "sqlite" else database_url
    db = Database(url)
    await db.create_all(OutboxRecord)
    topic = f"test-relaybig-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=3)
    big = make_event(
        CallFailed(call_id="call-big", stage="transcribe", code="test", reason="x" * 4000),
        source="test",
        org_id="org-1",
        key="call-big",
    )
    small = [sample_event(call="call-small") for _ in range(2)]
    async with db.session() as s:
        for event in (small[0], big, small[1]):
            await emit(s, event, topic=topic)
    relay = OutboxRelay(
        db, {"bootstrap_servers": kafka_bootstrap, "max_request_size": 2000}, batch_size=500
    )
    try:
        with caplog.at_level(logging.ERROR, logger="clashtor_common.outbox"):
            assert await relay.publish_pending() == 2
        assert str(big.id) in caplog.text and big.type in caplog.text
        assert await relay.publish_pending() == 0  # passed over, not retried each round
        assert await pending_count(db) == 1  # kept, unsent: nothing lost silently
    finally:
        await relay.stop()
        await db.dispose()
    got = await _read_all(kafka_bootstrap, topic, 2)
    assert [e.id for _, e in got] == [e.id for e in small]
