"""Operability of the running system: one trace from the upload through transcription
and scoring (exported over OTLP/HTTP to a test receiver, as to a collector), and every
service's Prometheus ``/metrics`` as Prometheus parses it, the gateway's off its public
port."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clashtor_callgen import generate_call, short_script
from clashtor_common.testing.otlp import CONSUMER, SERVER, OtlpReceiver, ReceivedSpan
from clashtor_common.testing.prometheus import labelled, samples
from clashtor_common.testing.waiting import poll_until

from .client import Clashtor
from .stack import Stack

T = TypeVar("T")
INTERNAL = ("ingest", "transcribe", "score", "billing", "privacy")


def eventually(probe: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll ``probe`` until it returns something truthy (exports are batched)."""
    return poll_until(probe, timeout, every=0.25, what="export")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def scored_call(stack: Stack) -> Iterator[tuple[str, str]]:
    """A short call uploaded with a known request id and scored: (call id, request id)."""
    api = Clashtor(stack.gateway)
    api.signup()
    generated = generate_call(short_script()[:2], layout="stereo", fmt="wav")
    request_id = f"e2e-{uuid.uuid4().hex[:12]}"
    with generated.path.open("rb") as fh:
        resp = api.http.post(
            "/v1/calls",
            headers={**api.bearer, "X-Request-ID": request_id},
            files={"file": (generated.path.name, fh)},
            data={"title": "Traced", "participants": json.dumps([])},
        )
    assert resp.status_code == 202, resp.text
    assert resp.headers["X-Request-ID"] == request_id
    call_id = resp.json()["id"]
    api.wait_for_status(call_id, "scored", timeout=300)
    yield call_id, request_id
    api.close()


def test_one_trace_covers_the_upload_and_the_transcribe_and_score_handlers(
    scored_call: tuple[str, str], otlp: OtlpReceiver
) -> None:
    _, request_id = scored_call

    def upload_span() -> ReceivedSpan | None:
        found = [
            s
            for s in otlp.find(service="gateway", kind=SERVER)
            if s.attributes.get("clashtor.request_id") == request_id
        ]
        return found[0] if found else None

    root = eventually(upload_span)
    # the gateway started the system's part of the trace: no exported span is its parent
    # (a test client instrumented by an earlier test in this process may send a traceparent)
    assert not [s for s in otlp.trace(root.trace_id) if s.span_id == root.parent_span_id]

    def whole_trace() -> list[ReceivedSpan] | None:
        spans = otlp.trace(root.trace_id)
        handlers = {(s.service, s.name) for s in spans if s.kind == CONSUMER}
        wanted = {("transcribe", "call-uploaded handle"), ("score", "call-transcribed handle")}
        return spans if wanted <= handlers else None

    spans = eventually(whole_trace)
    services = {s.service for s in spans}
    assert {"gateway", "ingest", "transcribe", "score"} <= services
    ingest = [s for s in spans if s.service == "ingest" and s.kind == SERVER]
    assert ingest and ingest[0].attributes.get("clashtor.request_id") == request_id
    by_id = {s.span_id: s for s in spans}
    for handler in [s for s in spans if s.kind == CONSUMER and s.name.endswith(" handle")]:
        parent = by_id.get(handler.parent_span_id)
        assert parent is not None and parent.name.endswith(" publish"), handler


def test_metrics_are_exported_over_otlp_too(
    scored_call: tuple[str, str], otlp: OtlpReceiver
) -> None:
    eventually(lambda: ("transcribe", "clashtor.consumer.handler.duration") in otlp.metrics)
    # each service exports on its own 5 s clock: the gateway's may come after transcribe's
    eventually(lambda: ("gateway", "http.server.duration") in otlp.metrics)


def test_every_service_serves_prometheus_metrics(
    scored_call: tuple[str, str], stack: Stack
) -> None:
    texts: dict[str, str] = {}
    for name in INTERNAL:
        resp = httpx.get(f"{stack.urls[name]}/metrics", timeout=30)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
        texts[name] = resp.text
    port = stack.env("gateway")["GATEWAY_METRICS_PORT"]
    texts["gateway"] = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text

    for name, text in texts.items():
        families = {f.name for f in text_string_to_metric_families(text)}
        assert {"clashtor_outbox_backlog", "clashtor_outbox_published"} <= families, name
        if name in ("gateway", "ingest", "transcribe", "score", "privacy"):  # they consume
            assert "clashtor_consumer_handler_duration_seconds" in families, name
    uploads = samples(texts["ingest"], "http_server_duration_milliseconds_count")
    assert sum(labelled(uploads, http_method="POST")) >= 1
    handled = samples(texts["transcribe"], "clashtor_consumer_events_total")
    assert sum(labelled(handled, topic="call-uploaded", outcome="handled")) >= 1
    handled = samples(texts["score"], "clashtor_consumer_events_total")
    assert sum(labelled(handled, topic="call-transcribed", outcome="handled")) >= 1
    duration = samples(texts["score"], "clashtor_consumer_handler_duration_seconds_count")
    assert sum(labelled(duration, topic="call-transcribed")) >= 1
    lag = samples(texts["transcribe"], "clashtor_consumer_lag")
    assert labelled(lag, topic="call-uploaded"), "one series per assigned partition"
    requests = samples(texts["gateway"], "http_server_duration_milliseconds_count")
    assert sum(labelled(requests, http_target="/v1/calls", http_status_code="202")) >= 1
    backlog = samples(texts["ingest"], "clashtor_outbox_backlog")
    assert labelled(backlog, service="ingest")


def test_the_gateway_does_not_serve_metrics_publicly(stack: Stack) -> None:
    resp = httpx.get(f"{stack.gateway}/metrics", timeout=30)
    assert "clashtor_outbox_backlog" not in resp.text
    assert "python_gc_objects_collected_total" not in resp.text
