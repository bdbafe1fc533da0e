"""A consumer killed mid-handler, and one trace from an HTTP request to the consumer
(one publish span for the events a transaction emitted, one handle span for them)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.bus import subscribe
from clashtor_common.embedded import ensure_topics
from clashtor_common.events import Envelope
from clashtor_common.outbox import emit
from clashtor_common.service import ServiceRuntime, create_service_app
from clashtor_common.telemetry import add_span_processor
from clashtor_common.testing.apps import serve

from .support import Effect, Harness, count_effects, sample_event, settings_for, wait_until

HERE = Path(__file__).parent


def _consumer(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "crash_consumer.py"), *args], start_new_session=True
    )


@pytest.mark.parametrize(
    ("events", "mode"),
    [(1, "block"), (5, "block-at-3")],
    ids=["mid-handler", "mid-batch"],
)
async def test_consumer_killed_mid_handler_then_restarted_leaves_one_effect(
    kafka_bootstrap: str, database_url: str, tmp_path: Path, events: int, mode: str
) -> None:
    """Killed in a handler (mid-batch: at the third of five events emitted in one
    transaction, so fetched in one batch, two already handled in its transaction): nothing
    of the batch committed, and the restarted consumer applies each event once."""
    topic = f"test-crash-{uuid.uuid4().hex[:8]}"
    group = f"crash-{uuid.uuid4().hex[:6]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=1)
    producer = Harness(settings_for("crash-producer", kafka_bootstrap, database_url), "unused")
    await producer.start()
    batch = [sample_event(call="one-call") for _ in range(events)]
    async with producer.db.session() as s:
        for event in batch:
            await emit(s, event, topic=topic)

    marker = str(tmp_path / "in-handler")
    first = _consumer([kafka_bootstrap, database_url, topic, group, mode, marker])
    try:
        await wait_until(lambda: Path(marker).exists(), timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert Path(marker).read_text() == str(batch[min(2, events - 1)].id)
    for event in batch:
        assert await count_effects(producer.db, str(event.id)) == 0, "uncommitted, rolled back"

    second = _consumer([kafka_bootstrap, database_url, topic, group, "normal", marker + "2"])
    try:
        for event in batch:
            await wait_until(lambda e=event: count_effects(producer.db, str(e.id)), timeout=90)
        # A later event proves the consumer moved past it without handling it twice.
        later = sample_event(call="one-call")
        async with producer.db.session() as s:
            await emit(s, later, topic=topic)
        await wait_until(lambda: count_effects(producer.db, str(later.id)), timeout=30)
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    for event in batch:
        assert await count_effects(producer.db, str(event.id)) == 1
    await producer.stop()


async def test_one_trace_from_http_request_through_producer_and_consumer(
    kafka_bootstrap: str, database_url: str
) -> None:
    exporter = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(exporter))
    topic = f"test-trace-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=1)
    settings = settings_for(f"trace-{uuid.uuid4().hex[:6]}", kafka_bootstrap, database_url)
    runtime = ServiceRuntime.build(settings)
    handled: list[str] = []

    async def handler(event: Envelope, session: AsyncSession) -> None:
        handled.append(str(event.id))
        session.add(Effect(event_id=str(event.id)))

    subscribe(runtime.broker, topic, settings=settings, db=runtime.db, handler=handler)
    app: FastAPI = create_service_app(runtime, title="trace-test", tables=[Effect])

    @app.post("/things")
    async def create_thing() -> dict[str, list[str]]:
        events = [sample_event() for _ in range(3)]  # one transaction emits three
        async with runtime.db.session() as s:
            for event in events:
                await emit(s, event, topic=topic)
        return {"event_ids": [str(e.id) for e in events]}

    async with serve(app) as base:
        # let the consumer group settle, then make the traced request
        warm = sample_event()
        async with runtime.db.session() as s:
            await emit(s, warm, topic=topic)
        await wait_until(lambda: str(warm.id) in handled, timeout=60)
        exporter.clear()
        async with httpx.AsyncClient(base_url=base) as client:
            event_ids = (await client.post("/things")).json()["event_ids"]
        await wait_until(lambda: set(event_ids) <= set(handled), timeout=30)
        await asyncio.sleep(0.3)

    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.kind == SpanKind.SERVER and "/things" in s.name]
    producer = [s for s in spans if s.kind == SpanKind.PRODUCER and topic in s.name]
    consumer = [s for s in spans if s.kind == SpanKind.CONSUMER and s.name == f"{topic} handle"]
    assert server and producer and consumer, [(s.name, s.kind) for s in spans]
    trace_id = server[0].context.trace_id
    assert producer[0].context.trace_id == trace_id
    assert consumer[0].context.trace_id == trace_id
    # One publish span for what the transaction emitted (a span per event cost more than
    # the send), and one handle span for the three (sent in one produce request, fetched
    # together), its child.
    assert len(producer) == 1, [s.name for s in producer]
    assert producer[0].attributes["messaging.batch.message_count"] == 3
    assert len(consumer) == 1, [dict(s.attributes or {}) for s in consumer]
    assert consumer[0].attributes["messaging.batch.message_count"] == 3
    assert consumer[0].parent is not None
    assert consumer[0].parent.span_id == producer[0].context.span_id
