"""What an operator reads off one service: its request id travels from the HTTP request
into the handlers of the events it caused, and ``/metrics`` (parsed as Prometheus reads
it) shows HTTP, handler, lag and outbox series, and of HTTP no series but the duration's.
Real broker and database."""

from __future__ import annotations

import gc
import uuid

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.bus import subscribe
from clashtor_common.embedded import ensure_topics, free_port
from clashtor_common.events import Envelope
from clashtor_common.inbox import InboxRecord
from clashtor_common.logs import current_org, current_request_id
from clashtor_common.metrics import PROMETHEUS_SERIES
from clashtor_common.outbox import OutboxRecord, emit
from clashtor_common.service import ServiceRuntime, create_service_app
from clashtor_common.testing.apps import serve
from clashtor_common.testing.prometheus import sample_names, samples

from .support import Effect, sample_event, settings_for, wait_until


async def test_request_id_reaches_handlers_and_metrics_show_the_flow(
    kafka_bootstrap: str, database_url: str
) -> None:
    topic = f"test-obs-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, (topic,), partitions=1)
    name = f"obs-{uuid.uuid4().hex[:6]}"
    settings = settings_for(name, kafka_bootstrap, database_url)
    runtime = ServiceRuntime.build(settings)
    await runtime.db.create_all(OutboxRecord, InboxRecord, Effect)
    seen: dict[str, tuple[str | None, str | None]] = {}

    async def handler(event: Envelope, session: AsyncSession) -> None:
        seen[str(event.id)] = (current_request_id(), current_org())
        session.add(Effect(event_id=str(event.id)))

    subscribe(runtime.broker, topic, settings=settings, db=runtime.db, handler=handler)
    app: FastAPI = create_service_app(runtime, title="obs-test", tables=[Effect])

    @app.post("/things")
    async def create_thing() -> dict[str, str]:
        event = sample_event(org="org-obs")
        async with runtime.db.session() as s:
            await emit(s, event, topic=topic)
        return {"event_id": str(event.id)}

    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert gc.get_freeze_count() > 0, "the start-up heap is out of full collections"
        given = await client.post("/things", headers={"X-Request-ID": "req-obs-1"})
        assert given.headers["X-Request-ID"] == "req-obs-1"
        made = await client.post("/things", headers={"X-Request-ID": "bad id\twith spaces"})
        assert made.headers["X-Request-ID"] != "bad id\twith spaces"
        assert len(made.headers["X-Request-ID"]) == 32  # a fresh one instead
        first, second = given.json()["event_id"], made.json()["event_id"]
        await wait_until(lambda: first in seen and second in seen, timeout=60)
        assert seen[first] == ("req-obs-1", "org-obs")
        assert seen[second] == (made.headers["X-Request-ID"], "org-obs")

        await wait_until(lambda: _backlog_drained(client, name), timeout=30)
        text = (await client.get("/metrics")).text

    exported = sample_names(text)
    assert exported >= PROMETHEUS_SERIES, sorted(PROMETHEUS_SERIES - exported)
    # Of the HTTP instrumentation's series only the duration: nothing reads the others
    # (requests in progress, sizes), and each cost CPU on every request (issue 20). The
    # instrumentation's own (its scope): FastAPI's native telemetry records series of
    # its own for any app in this test process without the instrumentation (stubs).
    http_series = {
        s.name
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("http_server_")
        and s.labels.get("otel_scope_name", "").startswith("opentelemetry.instrumentation.")
    }
    assert http_series <= PROMETHEUS_SERIES, sorted(http_series - PROMETHEUS_SERIES)
    http = samples(text, "http_server_duration_milliseconds_count")
    assert any(
        labels.get("http_target") == "/things" and labels.get("http_status_code") == "200"
        for labels, value in http
        if value >= 2
    ), http
    handled = samples(text, "clashtor_consumer_events_total")
    assert ({"topic": topic, "group": settings.consumer_group, "outcome": "handled"}, 2.0) in [
        ({k: v for k, v in labels.items() if k in ("topic", "group", "outcome")}, value)
        for labels, value in handled
    ]
    durations = samples(text, "clashtor_consumer_handler_duration_seconds_count")
    assert any(labels["topic"] == topic and value == 2 for labels, value in durations)
    lag = samples(text, "clashtor_consumer_lag")
    assert ({"group": settings.consumer_group, "topic": topic, "partition": "0"}, 0.0) in [
        ({k: v for k, v in labels.items() if k in ("group", "topic", "partition")}, value)
        for labels, value in lag
    ], lag
    assert samples(text, "clashtor_consumer_dead_letters_total") is not None
    assert ({"service": name}, 0.0) in [
        ({"service": labels["service"]}, value)
        for labels, value in samples(text, "clashtor_outbox_backlog")
    ]


async def _backlog_drained(client: httpx.AsyncClient, service: str) -> bool:
    text = (await client.get("/metrics")).text
    return ({"service": service}, 0.0) in [
        ({"service": labels.get("service", "")}, value)
        for labels, value in samples(text, "clashtor_outbox_backlog")
    ]


async def test_a_public_app_keeps_metrics_off_its_port_and_serves_them_on_another(
    kafka_bootstrap: str, database_url: str
) -> None:
    port = free_port()
    settings = settings_for(
        f"edge-{uuid.uuid4().hex[:6]}", kafka_bootstrap, database_url, metrics_port=port
    )
    app = create_service_app(ServiceRuntime.build(settings), title="edge", public=True)
    async with serve(app) as base, httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/metrics")).status_code == 404
        # a caller's baggage is not taken at the public edge; its own request id is made
        answer = await client.get(f"{base}/healthz", headers={"baggage": "request_id=planted"})
        assert answer.headers["X-Request-ID"] != "planted"
        scraped = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert scraped.status_code == 200
    assert list(text_string_to_metric_families(scraped.text))
