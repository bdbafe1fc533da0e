"""OpenTelemetry wiring: one trace from an HTTP request through every consumer it causes,
and the metrics each service exports.

HTTP spans come from FastAPI's instrumentation (server) and httpx's (client: the
gateway's calls to the services carry ``traceparent``), bus spans from FastStream's
``KafkaTelemetryMiddleware`` and our consumer. The outbox stores the W3C trace context
of the request that emitted an event, and the relay publishes inside that context and
puts it into the Kafka headers, so the producer span (and the consumer span after it)
joins the request's trace.

Configured by the standard ``OTEL_*`` variables, read by the SDK's own exporters:
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT`` / ``..._METRICS_ENDPOINT``)
switches OTLP/HTTP export on; ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER``
(``otlp``, ``console``, ``none``, comma-separated) choose explicitly; ``OTEL_SERVICE_NAME``
overrides the service name. Without any of them nothing is exported (spans go to the
console with ``CLASHTOR_TRACE_CONSOLE=1``, as before). Metrics are always readable as
Prometheus text (``metrics_text``), whatever goes over OTLP.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry import context, metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_provider: TracerProvider | None = None
_meters: MeterProvider | None = None
P = TypeVar("P")


def _exporters(signal: str) -> set[str]:
    """Which exporters ``signal`` (``TRACES`` or ``METRICS``) uses, from ``OTEL_*``."""
    chosen = os.environ.get(f"OTEL_{signal}_EXPORTER")
    if chosen:
        return {name.strip().lower() for name in chosen.split(",")} - {"none", ""}
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"
    ):
        return {"otlp"}
    if signal == "TRACES" and os.environ.get("CLASHTOR_TRACE_CONSOLE"):
        return {"console"}
    return set()


def _resource(service_name: str) -> Resource:
    return Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name})


def _new_tracer_provider(resource: Resource) -> TracerProvider:
    provider = TracerProvider(resource=resource)
    chosen = _exporters("TRACES")
    if "otlp" in chosen:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if "console" in chosen:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def _new_meter_provider(resource: Resource) -> MeterProvider:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    readers: list[MetricReader] = [PrometheusMetricReader()]
    chosen = _exporters("METRICS")
    if "otlp" in chosen:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    if "console" in chosen:
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
    return MeterProvider(resource=resource, metric_readers=readers)


def _adopted(
    current: object, kind: type[P], make: Callable[[], P], install: Callable[[P], None]
) -> P:
    """The SDK provider already installed, or a new one from ``make``, installed."""
    if isinstance(current, kind):
        return current
    made = make()
    install(made)
    return made


def _configure(service_name: str) -> None:
    """Set the process-wide providers once (a test may have set its own first)."""
    global _provider, _meters
    resource = _resource(service_name)
    _provider = _adopted(
        trace.get_tracer_provider(),
        TracerProvider,
        lambda: _new_tracer_provider(resource),
        trace.set_tracer_provider,
    )
    _meters = _adopted(
        metrics.get_meter_provider(),
        MeterProvider,
        lambda: _new_meter_provider(resource),
        metrics.set_meter_provider,
    )
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=_provider,
            meter_provider=_meters,
            request_hook=_redact_url,
            async_request_hook=_redact_url_async,
        )


URL_ATTRIBUTES = ("http.url", "url.full")
"""Where httpx's instrumentation puts a client request's URL (old and new conventions)."""


def query_without_values(query: str) -> str:
    """``query`` with every value replaced by ``REDACTED`` (the names stay)."""
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    return urlencode([(n, "REDACTED") for n in names])


def url_without_query_values(url: str) -> str:
    """``url`` with every query value replaced by ``REDACTED`` (the names stay)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    return urlunsplit(parts._replace(query=query_without_values(parts.query)))


SERVER_URL_ATTRIBUTES = ("http.url", "url.full", "http.target")
"""Where the ASGI instrumentation puts a request's URL with its query (besides ``url.query``)."""


def redact_server_query(span: trace.Span, scope: dict[str, Any]) -> None:
    """A server span keeps its request's URL without the query's values: a query can
    carry a credential (the OAuth callback's one-time ``code``)."""
    if not scope.get("query_string") or not span.is_recording():
        return
    _rewrite(span, SERVER_URL_ATTRIBUTES, url_without_query_values)
    _rewrite(span, ("url.query",), query_without_values)


def _rewrite(span: trace.Span, keys: tuple[str, ...], redact: Callable[[str], str]) -> None:
    """Each of the span's ``keys`` that holds a string, through ``redact``."""
    attributes = getattr(span, "attributes", None) or {}
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str):
            span.set_attribute(key, redact(value))


SECRET_PATH = "clashtor.secret_path"
"""An httpx request extension (``extensions={SECRET_PATH: True}``): the URL's path is a
credential too (a webhook or Zapier hook URL), so its span keeps only the origin."""


def url_origin_only(url: str) -> str:
    """``url`` reduced to scheme and host, its path and query ``REDACTED``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/REDACTED", query="", fragment=""))


def _redact_url(span: trace.Span, request: object) -> None:
    """A client span keeps its URL without the query's values: a query can carry a
    credential (a Zoom recording's ``?access_token=<download token>``), and spans go
    to whoever reads the traces. The instrumentation's own redaction knows a few cloud
    signature names only. A request marked ``SECRET_PATH`` keeps its origin only."""
    if not span.is_recording():
        return
    extensions = getattr(request, "extensions", None) or {}
    redact = url_origin_only if extensions.get(SECRET_PATH) else url_without_query_values
    _rewrite(span, URL_ATTRIBUTES, redact)


async def _redact_url_async(span: trace.Span, request: object) -> None:
    _redact_url(span, request)


def tracer_provider(service_name: str = "clashtor") -> TracerProvider:
    """The process-wide SDK tracer provider (created once, named by the first caller)."""
    if _provider is None:
        _configure(service_name)
    assert _provider is not None
    return _provider


def meter_provider(service_name: str = "clashtor") -> MeterProvider:
    """The process-wide SDK meter provider: Prometheus always, OTLP when configured."""
    if _meters is None:
        _configure(service_name)
    assert _meters is not None
    return _meters


def meter(name: str) -> metrics.Meter:
    return meter_provider().get_meter(name)


def metrics_text() -> tuple[bytes, str]:
    """Every metric of this process in the Prometheus text format, with its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    meter_provider()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def shutdown() -> None:
    """Flush what is buffered (spans, metrics) before the process exits."""
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)
    if _meters is not None:
        _meters.force_flush(timeout_millis=5000)


def add_span_processor(processor: SpanProcessor) -> None:
    tracer_provider().add_span_processor(processor)


def current_trace_carrier() -> dict[str, str]:
    """The current trace context (and baggage) as W3C headers (empty outside a span)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def trace_context(carrier: dict[str, str]) -> Iterator[None]:
    """Run a block inside the trace context stored in ``carrier``."""
    token = context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def kafka_span(
    tracer: trace.Tracer,
    carrier: Mapping[str, str],
    *,
    operation: str,
    topic: str,
    message_id: str,
    group: str | None = None,
) -> Iterator[trace.Span]:
    """A producer (``publish``) or consumer (``handle``) span in the trace ``carrier``
    names: the outbox row's stored context, or a record's Kafka headers. The carrier's
    baggage (the request id) is current inside too."""
    attributes = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.message.id": message_id,
    }
    if group is not None:
        attributes["messaging.consumer.group.name"] = group
    kind = trace.SpanKind.PRODUCER if operation == "publish" else trace.SpanKind.CONSUMER
    with (
        trace_context(dict(carrier)),
        tracer.start_as_current_span(
            f"{topic} {operation}", kind=kind, attributes=attributes
        ) as span,
    ):
        yield span


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
