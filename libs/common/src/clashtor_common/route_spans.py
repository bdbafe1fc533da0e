"""A request's server span name (``GET /v1/calls/{call_id}``), found without walking every route.

OpenTelemetry's FastAPI instrumentation names the span after the route template before
the request is routed: on every request it flattens the app's routes (FastAPI nests
included routers, so that makes a ``RouteContext`` per route) and tries each in turn.
Under the gateway bench (200 readers, py-spy) that was about a third of the gateway's
CPU per request, with some 150 routes to try. ``RouteTemplates`` flattens once (again
only when routes were added) and keeps, per first two path segments, the routes a path
beginning with them can match, in the app's order; the answer follows the
instrumentation's own rule (the first full match, else the last partial one, i.e. the
path of a route that matched but for its method) over those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.util.http import sanitize_method
from starlette.routing import Match
from starlette.types import Scope

from clashtor_common.otel_asgi import on_instrumentation_layer

Key = tuple[str, str]


def _key(path: str) -> Key | None:
    """The first two segments of ``path`` (``/v1/calls/x`` → (v1, calls)), if it has them."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[0] or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class RouteTemplates:
    """The route template of a request, for the span's name and ``http.route``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._built_for = -1
        self._everywhere: list[Any] = []
        """Routes whose template does not begin with two literal segments: always tried."""
        self._by_key: dict[Key, list[Any]] = {}

    def _build(self) -> None:
        routes = list(iter_route_contexts(self.app.routes))
        everywhere: list[int] = []
        keyed: dict[Key, list[int]] = {}
        for n, route in enumerate(routes):
            path = getattr(route, "path", None)
            key = _key(path) if isinstance(path, str) else None
            if key is None or "{" in key[0] or "{" in key[1]:
                everywhere.append(n)
            else:
                keyed.setdefault(key, []).append(n)
        self._everywhere = [routes[n] for n in everywhere]
        self._by_key = {
            key: [routes[n] for n in sorted(ns + everywhere)] for key, ns in keyed.items()
        }
        self._built_for = len(self.app.routes)

    def candidates(self, scope: Scope) -> Sequence[Any]:
        if self._built_for != len(self.app.routes):
            self._build()
        path: str = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        key = _key(path)
        return self._by_key.get(key, self._everywhere) if key else self._everywhere

    def route(self, scope: Scope) -> str | None:
        found: str | None = None
        for route in self.candidates(scope):
            match, _ = route.matches(scope)
            if match == Match.FULL:
                try:
                    return route.path  # type: ignore[no-any-return]
                except AttributeError:  # a host route has none
                    return scope.get("path")
            if match == Match.PARTIAL:
                found = route.path
        return found

    def span_details(self, scope: Scope) -> tuple[str, dict[str, str]]:
        """(span name, attributes), as the instrumentation's ``_get_default_span_details``."""
        route = self.route(scope)
        method = sanitize_method(scope.get("method", "").strip())
        if method == "_OTHER":
            method = "HTTP"
        attributes = {HTTP_ROUTE: route} if route else {}
        if method and route:
            return f"{method} {route}", attributes
        return route or method, attributes


def name_spans_by_route_templates(app: FastAPI) -> RouteTemplates:
    """Have the OpenTelemetry middleware that ``FastAPIInstrumentor.instrument_app`` put
    on ``app`` find span names through a ``RouteTemplates`` (call it right after)."""
    templates = RouteTemplates(app)

    def use_templates(layer: OpenTelemetryMiddleware) -> None:
        layer.default_span_details = templates.span_details

    on_instrumentation_layer(app, use_templates)
    return templates
