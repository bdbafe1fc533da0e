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


async def test_a_server_span_keeps_the_query_names_not_their_values(api: Any) -> None:
    """The Zoom OAuth callback brings a one-time ``code`` in its query: spans go to
    whoever reads the traces, so they keep the parameter's name only."""
    exporter = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(exporter))
    async with api.client() as client:
        await client.get("/v1/integrations/zoom/callback?code=SECRETCODE123&state=st")
    spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    exporter.shutdown()
    values = [str(v) for span in spans for v in (span.attributes or {}).values()]
    assert any("code=REDACTED" in v for v in values), values
    assert [v for v in values if "SECRETCODE123" in v] == []
