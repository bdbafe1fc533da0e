"""Kafka helpers for tests that share one broker across modules."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition


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
