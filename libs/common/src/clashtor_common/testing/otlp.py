"""A small OTLP/HTTP receiver for tests: services export to it as to a collector.

Services started with ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing here send their spans
(``/v1/traces``) and metrics (``/v1/metrics``) as protobuf, exactly as in production;
the receiver decodes them with ``opentelemetry-proto`` and keeps them for assertions.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from clashtor_common.testing.servers import Answer, PostStub

#: Span kinds as OTLP numbers them.
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]


@dataclass
class OtlpReceiver(PostStub):
    spans: list[ReceivedSpan] = field(default_factory=list)
    #: ``(service, metric name)`` of every metric point batch received.
    metrics: set[tuple[str, str]] = field(default_factory=set)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        if path == "/v1/traces":
            self._take_spans(body)
            answer = ExportTraceServiceResponse().SerializeToString()
        elif path == "/v1/metrics":
            self._take_metrics(body)
            answer = ExportMetricsServiceResponse().SerializeToString()
        else:
            return 404, {}, b""
        return 200, {"content-type": "application/x-protobuf"}, answer

    def _take_spans(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        received = []
        for resource_spans in request.resource_spans:
            service = str(_attributes(resource_spans.resource.attributes).get("service.name"))
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            service=service,
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes=_attributes(span.attributes),
                        )
                    )
        with self._lock:
            self.spans.extend(received)

    def _take_metrics(self, body: bytes) -> None:
        request = ExportMetricsServiceRequest.FromString(body)
        names: set[tuple[str, str]] = set()
        for resource_metrics in request.resource_metrics:
            service = str(_attributes(resource_metrics.resource.attributes).get("service.name"))
            for scope_metrics in resource_metrics.scope_metrics:
                names.update((service, m.name) for m in scope_metrics.metrics)
        with self._lock:
            self.metrics |= names

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [s for s in self.spans if s.trace_id == trace_id]

    def find(self, **match: Any) -> list[ReceivedSpan]:
        """Spans whose fields equal ``match`` (e.g. ``service="gateway", kind=SERVER``)."""
        with self._lock:
            spans = list(self.spans)
        return [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]


def _attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs if isinstance(kv, KeyValue)}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None
