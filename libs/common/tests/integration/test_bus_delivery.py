"""Delivery rules on the real broker and database: outbox, inbox, retries, dead letters."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from clashtor_common.events import dlq_topic
from clashtor_common.ops.replay import redrive_dead_letters
from clashtor_common.outbox import emit, pending_count

from .support import Harness, count_effects, sample_event, started_harness, wait_until


@pytest.fixture(scope="module")
async def harness(kafka_bootstrap: str, database_url: str):
    h = await started_harness("bus", kafka_bootstrap, database_url)
    yield h
    await h.stop()


async def dlq_messages(bootstrap: str, topic: str) -> list[tuple[bytes, dict[str, str]]]:
    consumer = AIOKafkaConsumer(
        dlq_topic(topic),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        return [
            (m.value, {k: v.decode() for k, v in m.headers})
            for msgs in batches.values()
            for m in msgs
        ]
    finally:
        await consumer.stop()


async def test_event_in_a_rolled_back_transaction_is_never_published(harness: Harness) -> None:
    event = sample_event()
    with pytest.raises(RuntimeError):
        async with harness.db.session() as s:
            await emit(s, event, topic=harness.topic)
            raise RuntimeError("the state change failed")
    committed = sample_event()
    async with harness.db.session() as s:
        await emit(s, committed, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(committed.id)))
    assert await count_effects(harness.db, str(event.id)) == 0


async def test_event_emitted_while_broker_is_down_is_delivered_when_it_returns(
    harness: Harness,
) -> None:
    await harness.relay.stop()  # the broker is unreachable from the relay's point of view
    event = sample_event()
    async with harness.db.session() as s:
        await emit(s, event, topic=harness.topic)
    await asyncio.sleep(0.5)
    assert await pending_count(harness.db) >= 1
    assert await count_effects(harness.db, str(event.id)) == 0
    await harness.relay.start()
    await wait_until(lambda: count_effects(harness.db, str(event.id)))
    assert await pending_count(harness.db) == 0


async def test_the_same_event_delivered_twice_has_one_effect(
    harness: Harness, kafka_bootstrap: str
) -> None:
    event = sample_event()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(harness.topic, event.to_bytes(), key=event.key.encode())
    finally:
        await producer.stop()
    marker = sample_event()
    async with harness.db.session() as s:
        await emit(s, marker, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(marker.id)))
    assert await count_effects(harness.db, str(event.id)) == 1


async def test_a_transient_failure_is_retried_and_has_one_effect(harness: Harness) -> None:
    harness.fail_times = 2
    event = sample_event()
    async with harness.db.session() as s:
        await emit(s, event, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(event.id)))
    assert await count_effects(harness.db, str(event.id)) == 1
    assert harness.fail_times == 0


async def test_a_message_that_always_fails_is_dead_lettered_then_redriven(
    harness: Harness, kafka_bootstrap: str
) -> None:
    harness.always_fail = True
    event = sample_event()
    async with harness.db.session() as s:
        await emit(s, event, topic=harness.topic)
    await wait_until(lambda: harness.consumer.stats.dead_lettered >= 1)
    harness.always_fail = False
    dead = [
        h
        for body, h in await dlq_messages(kafka_bootstrap, harness.topic)
        if json.loads(body).get("id") == str(event.id)
    ]
    assert dead, "the failing event is on the dead-letter topic"
    assert "downstream fault" in dead[0]["x-dlq-error"]
    assert dead[0]["x-dlq-attempts"] == str(harness.settings.consumer_max_attempts)
    assert await count_effects(harness.db, str(event.id)) == 0

    redriven = await redrive_dead_letters(
        kafka_bootstrap,
        harness.topic,
        consumer=harness.settings.consumer_group,
        event_ids={str(event.id)},
    )
    assert redriven == 1
    await wait_until(lambda: count_effects(harness.db, str(event.id)))
    # Redriving again changes nothing: the inbox has it.
    await redrive_dead_letters(
        kafka_bootstrap,
        harness.topic,
        consumer=harness.settings.consumer_group,
        event_ids={str(event.id)},
    )
    marker = sample_event()
    async with harness.db.session() as s:
        await emit(s, marker, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(marker.id)))
    assert await count_effects(harness.db, str(event.id)) == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"not json at all",
        b'{"type": "call-failed"}',
        json.dumps({**json.loads(sample_event().to_bytes()), "version": 99}).encode(),
    ],
    ids=["not-json", "not-an-envelope", "unknown-version"],
)
async def test_malformed_or_unknown_version_event_goes_to_dlq_without_stopping(
    harness: Harness, kafka_bootstrap: str, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    before = harness.consumer.stats.dead_lettered
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(harness.topic, raw, key=b"bad")
    finally:
        await producer.stop()
    await wait_until(lambda: harness.consumer.stats.dead_lettered > before)
    assert any("rejected event" in r.getMessage() for r in caplog.records)
    good = sample_event()
    async with harness.db.session() as s:
        await emit(s, good, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(good.id)))


async def test_ops_replay_into_a_service_changes_nothing_already_handled(
    harness: Harness, kafka_bootstrap: str
) -> None:
    from sqlmodel import func, select
    from typer.testing import CliRunner

    from clashtor_common.ops.cli import app as ops_app

    from .support import Effect

    async def total() -> int:
        async with harness.db.session() as s:
            return (await s.execute(select(func.count()).select_from(Effect))).scalar_one()

    before, duplicates_before = await total(), harness.consumer.stats.duplicates
    result = await asyncio.to_thread(
        CliRunner().invoke,
        ops_app,
        [
            "replay",
            harness.topic,
            "--service",
            harness.settings.consumer_group,
            "--from-offset",
            "0",
            "--bootstrap",
            kafka_bootstrap,
        ],
    )
    assert result.exit_code == 0, result.output
    replayed = int(result.output.split()[1])
    assert replayed >= 5
    await wait_until(lambda: harness.consumer.stats.duplicates >= duplicates_before + 3)
    marker = sample_event()
    async with harness.db.session() as s:
        await emit(s, marker, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(marker.id)))
    assert await total() == before + 1

    listing = await asyncio.to_thread(
        CliRunner().invoke,
        ops_app,
        ["dlq", "list", harness.topic, "-b", kafka_bootstrap],
        env={"COLUMNS": "400"},
    )
    assert listing.exit_code == 0 and "downstream fault" in listing.output


async def test_ops_lag_shows_the_consumer_group_caught_up(
    harness: Harness, kafka_bootstrap: str
) -> None:
    from clashtor_common.ops.replay import consumer_lag

    marker = sample_event()
    async with harness.db.session() as s:
        await emit(s, marker, topic=harness.topic)
    await wait_until(lambda: count_effects(harness.db, str(marker.id)))

    async def caught_up() -> bool:
        rows = [
            r
            for r in await consumer_lag(kafka_bootstrap)
            if r.group == harness.settings.consumer_group
        ]
        return bool(rows) and all(r.topic == harness.topic and r.lag == 0 for r in rows)

    await wait_until(caught_up, timeout=30, every=0.5)
