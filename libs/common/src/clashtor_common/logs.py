"""JSON logs that carry the trace, span, request and organization of each line.

Every line has ``trace_id`` and ``span_id`` (from OpenTelemetry, so a log line leads to
its trace), ``request_id`` (the ``X-Request-ID`` of the HTTP request that caused it, in
a service's handler too: it travels as W3C baggage through the outbox and Kafka),
``org_id`` (the tenant, once known) and ``service``. Never personal data: no names,
emails or content go into these fields.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import baggage, context, trace
from pythonjsonlogger.json import JsonFormatter

#: The W3C baggage key carrying the request id beside ``traceparent``.
REQUEST_ID_BAGGAGE = "request_id"
_REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_org_id: ContextVar[str | None] = ContextVar("clashtor_org_id", default=None)


def valid_request_id(value: str | None) -> bool:
    """A caller's request id is kept only if short and plain (it lands in every log line)."""
    return bool(value) and _REQUEST_ID_SHAPE.fullmatch(value or "") is not None


def current_request_id() -> str | None:
    value = baggage.get_baggage(REQUEST_ID_BAGGAGE)
    return str(value) if value is not None else None


def bind_org(org_id: str | None) -> None:
    """Name the organization the current request or event acts for (logged as ``org_id``)."""
    _org_id.set(org_id)


def current_org() -> str | None:
    return _org_id.get()


@contextmanager
def log_context(*, request_id: str | None = None, org_id: str | None = None) -> Iterator[None]:
    """Run a block with ``request_id`` (as baggage, so it propagates) and ``org_id`` bound."""
    token = (
        context.attach(baggage.set_baggage(REQUEST_ID_BAGGAGE, request_id)) if request_id else None
    )
    org_token = _org_id.set(org_id)
    try:
        yield
    finally:
        _org_id.reset(org_token)
        if token is not None:
            context.detach(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else None
        record.span_id = format(ctx.span_id, "016x") if ctx.is_valid else None
        record.request_id = current_request_id()
        record.org_id = _org_id.get()
        return True


URL_LOGGERS = ("httpx", "httpcore")
"""httpx logs every request's full URL at INFO, and some URLs are credentials: a Zoom
recording's ``?access_token=<download token>``, a Zapier hook URL (a capability link,
stored encrypted). Their warnings and errors still show."""


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s"
                " %(trace_id)s %(span_id)s %(request_id)s %(org_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "botocore", "aiobotocore", "urllib3", *URL_LOGGERS):
        logging.getLogger(noisy).setLevel("WARNING")
