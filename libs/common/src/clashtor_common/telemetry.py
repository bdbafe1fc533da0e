"""OpenTelemetry wiring: one trace from an HTTP request through every consumer it causes.

HTTP spans come from FastAPI's instrumentation, bus spans from FastStream's
``KafkaTelemetryMiddleware``. The outbox stores the W3C trace context of the request
that emitted an event, and the relay publishes inside that context, so the producer
span (and the consumer span after it) joins the request's trace.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_provider: TracerProvider | None = None


def tracer_provider(service_name: str = "clashtor") -> TracerProvider:
    """The process-wide SDK tracer provider (created once)."""
    global _provider
    if _provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            _provider = current
        else:
            _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
            if os.environ.get("CLASHTOR_TRACE_CONSOLE"):
                _provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
            trace.set_tracer_provider(_provider)
    return _provider


def add_span_processor(processor: SpanProcessor) -> None:
    tracer_provider().add_span_processor(processor)


def current_trace_carrier() -> dict[str, str]:
    """The current trace context as W3C headers (empty outside a span)."""
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


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
