"""``clashtor-ops`` against a real broker and database: dead letters addressed by
partition and offset (DLQ topics have three partitions, so an offset alone is
ambiguous), a clear message and exit 1 when nothing matches, ``--json`` output, and
``status`` per service."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from typer.testing import CliRunner, Result

from clashtor_common.db import Database
from clashtor_common.embedded import ensure_topics
from clashtor_common.events import dlq_topic
from clashtor_common.inbox import InboxRecord
from clashtor_common.ops.cli import app
from clashtor_common.ops.replay import read_topic, read_topics
from clashtor_common.outbox import OutboxRecord, emit

from .support import sample_event


async def ops(*args: str, env: dict[str, str] | None = None) -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, app, list(args), env={"COLUMNS": "300", **(env or {})}
    )


@pytest.fixture(scope="module")
def topic() -> str:
    return f"test-ops-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
async def dead_letters(kafka_bootstrap: str, topic: str) -> dict[int, str]:
    """One dead letter at offset 0 of each of the DLQ's three partitions: event id by partition."""
    await ensure_topics(kafka_bootstrap, (topic,), partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    ids = {}
    try:
        for partition in range(3):
            event = sample_event()
            ids[partition] = str(event.id)
            headers = {
                "x-dlq-consumer": f"svc{partition}",
                "x-dlq-error": f"boom in {partition}",
                "x-dlq-attempts": "3",
            }
            await producer.send_and_wait(
                dlq_topic(topic),
                event.to_bytes(),
                partition=partition,
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
    finally:
        await producer.stop()
    return ids


async def test_dlq_show_takes_the_partition(
    kafka_bootstrap: str, topic: str, dead_letters: dict[int, str]
) -> None:
    for partition in (1, 2):
        shown = await ops(
            "dlq", "show", topic, str(partition), "0", "-b", kafka_bootstrap, "--json"
        )
        assert shown.exit_code == 0, shown.output
        letter = json.loads(shown.stdout)
        assert (letter["partition"], letter["offset"]) == (partition, 0)
        assert letter["event_id"] == dead_letters[partition]
        assert letter["body"]["id"] == dead_letters[partition]
        assert letter["headers"]["x-dlq-consumer"] == f"svc{partition}"
    human = await ops("dlq", "show", topic, "2", "0", "-b", kafka_bootstrap)
    assert human.exit_code == 0 and dead_letters[2] in human.stdout


async def test_dlq_show_says_so_and_exits_1_when_nothing_matches(
    kafka_bootstrap: str, topic: str, dead_letters: dict[int, str]
) -> None:
    missing = await ops("dlq", "show", topic, "1", "7", "-b", kafka_bootstrap)
    assert missing.exit_code == 1
    assert f"no dead letter at partition 1 offset 7 of {topic}.dlq" in missing.stderr
    assert "dlq list" in missing.stderr
    empty = await ops("dlq", "show", "call-scored-nowhere", "0", "0", "-b", kafka_bootstrap)
    assert empty.exit_code == 1 and "holds none" in empty.stderr


async def test_dlq_list_json_has_every_partition(
    kafka_bootstrap: str, topic: str, dead_letters: dict[int, str]
) -> None:
    listed = await ops("dlq", "list", topic, "-b", kafka_bootstrap, "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {(r["partition"], r["offset"], r["event_id"]) for r in rows} == {
        (p, 0, event_id) for p, event_id in dead_letters.items()
    }
    table = await ops("dlq", "list", topic, "-b", kafka_bootstrap)
    assert "1:0" in table.stdout and "boom in 1" in table.stdout


async def test_redrive_by_partition_and_offset_sends_back_only_that_one(
    kafka_bootstrap: str, topic: str, dead_letters: dict[int, str]
) -> None:
    nothing = await ops(
        "dlq", "redrive", topic, "--service", "svc1", "--offset", "2:0", "-b", kafka_bootstrap
    )
    assert nothing.exit_code == 1 and "nothing redriven" in nothing.stderr
    bad = await ops(
        "dlq", "redrive", topic, "--service", "svc1", "--offset", "0", "-b", kafka_bootstrap
    )
    assert bad.exit_code == 2 and "PARTITION:OFFSET" in bad.output
    sent = await ops(
        "dlq",
        "redrive",
        topic,
        "--service",
        "svc1",
        "--offset",
        "1:0",
        "-b",
        kafka_bootstrap,
        "--json",
    )
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout) == {"redriven": 1, "topic": topic, "service": "svc1"}
    back = await read_topic(kafka_bootstrap, topic)
    assert [(json.loads(r.value)["id"], r.headers["x-only-for"]) for r in back] == [
        (dead_letters[1], "svc1")
    ]


async def test_read_topics_reads_each_topic_whole_and_a_missing_one_as_empty(
    kafka_bootstrap: str, topic: str, dead_letters: dict[int, str]
) -> None:
    missing = f"{topic}-never-created"
    read = await read_topics(kafka_bootstrap, [dlq_topic(topic), missing])
    assert sorted(read) == sorted([dlq_topic(topic), missing])
    assert {(r.partition, r.event_id) for r in read[dlq_topic(topic)]} == set(dead_letters.items())
    assert read[missing] == []


async def test_status_per_service_lag_dead_letters_and_outbox_backlog(
    kafka_bootstrap: str, topic: str, dead_letters: dict[int, str], database_url: str
) -> None:
    service = "svc0"
    await _behind_by_two(kafka_bootstrap, f"{topic}-work", group=service)
    db = Database(database_url)
    await db.create_all(OutboxRecord, InboxRecord)
    async with db.session() as s:
        for _ in range(3):
            await emit(s, sample_event(), topic=topic)
    await db.dispose()

    env = {"SVC0_DATABASE_URL": database_url}
    result = await ops(
        "status",
        "--service",
        service,
        "--service",
        "svc2",
        "-b",
        kafka_bootstrap,
        "--json",
        env=env,
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    by_service = {r["service"]: r for r in rows}
    assert by_service["svc0"]["lag"] == 2
    assert by_service["svc0"]["dead_letters"] == 1
    assert by_service["svc0"]["outbox_backlog"] >= 3  # rows no relay has published
    assert by_service["svc2"] == {
        "service": "svc2",
        "lag": 0,
        "partitions": 0,
        "dead_letters": 1,
        "outbox_backlog": None,
    }
    table = await ops("status", "--service", service, "-b", kafka_bootstrap, env=env)
    assert table.exit_code == 0 and "svc0" in table.stdout

    lag = json.loads((await ops("lag", "-b", kafka_bootstrap, "--json")).stdout)
    assert {
        "group": "svc0", "topic": f"{topic}-work", "partition": 0, "committed": 1, "end": 3,
        "lag": 2,
    } in lag  # fmt: skip
    names = json.loads((await ops("topics", "-b", kafka_bootstrap, "--json")).stdout)
    assert {topic, dlq_topic(topic), f"{topic}-work"} <= set(names)


async def _behind_by_two(bootstrap: str, topic: str, *, group: str) -> None:
    """Three records in one partition; ``group`` committed after the first."""
    await ensure_topics(bootstrap, (topic,), partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(topic, f"{n}".encode(), partition=0)
    finally:
        await producer.stop()
    member = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await member.start()
    try:
        tp = TopicPartition(topic, 0)
        member.assign([tp])
        await member.commit({tp: 1})
    finally:
        await member.stop()
