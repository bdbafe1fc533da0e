"""One server span per request: no child span per ASGI message sent or received."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from clashtor_common.telemetry import add_span_processor


async def test_a_request_makes_one_server_span_and_no_span_per_asgi_message(api: Any) -> None:
    exporter = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(exporter))
    async with api.client() as client:
        assert (await client.get("/v1/me")).status_code == 401
    spans = [s for s in exporter.get_finished_spans() if "/v1/me" in s.name]
    exporter.shutdown()
    assert [s.kind for s in spans] == [SpanKind.SERVER], [s.name for s in spans]
