"""The OpenTelemetry ASGI middleware that ``FastAPIInstrumentor.instrument_app`` puts on an
app, reached once it is built, and the HTTP metrics a service keeps from it.

The instrumentation records four instruments on every request: the duration histogram
(``http_server_duration_milliseconds``, the one series the alerts and the dashboard use,
``metrics.PROMETHEUS_SERIES``), an up-down counter of the requests in progress (added to
twice a request), and histograms of the response's and the request's size. Nothing reads
the last three, and each measurement costs the SDK some 8-12 µs of CPU: about 30 µs of
the gateway's ~1.2 ms per read under the 200-reader bench (issue 20). ``keep_duration_only``
switches them off on the middleware; spans and the duration histogram are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.metrics import NoOpUpDownCounter
from starlette.types import ASGIApp

UNREAD_HISTOGRAMS = (
    "server_response_size_histogram",
    "server_response_body_size_histogram",
    "server_request_size_histogram",
    "server_request_body_size_histogram",
)
"""The middleware's size histograms (old and new semantic conventions): recorded only when set."""


def on_instrumentation_layer(
    app: FastAPI, configure: Callable[[OpenTelemetryMiddleware], None]
) -> None:
    """Have ``configure`` adjust the OpenTelemetry middleware of ``app`` each time its
    middleware stack is built (call it after ``instrument_app``)."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        stack = build()
        layer: Any = stack
        while layer is not None and not isinstance(layer, OpenTelemetryMiddleware):
            layer = getattr(layer, "app", None)  # under the instrumentation's outer guard
        if layer is not None:
            configure(layer)
        return stack

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


def keep_duration_only(layer: OpenTelemetryMiddleware) -> None:
    """No in-progress counter and no size histograms: only the duration is recorded."""
    layer.active_requests_counter = NoOpUpDownCounter("http.server.active_requests")
    for name in UNREAD_HISTOGRAMS:
        setattr(layer, name, None)
