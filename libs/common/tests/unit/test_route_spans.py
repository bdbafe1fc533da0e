"""Span names by route template: the instrumentation's answer, without trying every route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor, _get_default_span_details
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from clashtor_common.route_spans import RouteTemplates, name_spans_by_route_templates


async def _ok() -> dict[str, str]:
    return {}


def _app(tmp_path: Any) -> FastAPI:
    calls = APIRouter(prefix="/v1/calls")
    calls.add_api_route("", _ok, methods=["GET"])
    calls.add_api_route("/{call_id}", _ok, methods=["GET"])
    calls.add_api_route("/{call_id}", _ok, methods=["DELETE"])
    calls.add_api_route("/{call_id}/audio", _ok, methods=["GET"])
    me = APIRouter(prefix="/v1")
    me.add_api_route("/me", _ok, methods=["GET", "PATCH"])
    me.add_api_route("/{anything}/x", _ok, methods=["GET"])  # no literal second segment
    filler = APIRouter(prefix="/v1/other")
    for n in range(40):
        filler.add_api_route(f"/r{n}/{{item}}", _ok, methods=["GET"])
    app = FastAPI()
    for router in (calls, me, filler):
        app.include_router(router)
    app.add_api_route("/healthz", _ok, methods=["GET"])
    app.router.routes.append(Mount("/", StaticFiles(directory=tmp_path, check_dir=False)))
    return app


PATHS = [
    ("GET", "/v1/calls"),
    ("GET", "/v1/calls/c-1"),
    ("DELETE", "/v1/calls/c-1"),
    ("PUT", "/v1/calls/c-1"),  # the path matches, the method does not: partial
    ("GET", "/v1/calls/c-1/audio"),
    ("GET", "/v1/calls/c-1/nothing"),
    ("PATCH", "/v1/me"),
    ("GET", "/v1/calls/x"),
    ("GET", "/v1/zzz/x"),
    ("GET", "/v1/other/r39/i"),
    ("GET", "/healthz"),
    ("GET", "/index.html"),
    ("GET", "/"),
    ("GET", "/v1"),
    ("FOO", "/v1/me"),
]


def _scope(app: FastAPI, method: str, path: str) -> Scope:
    return {"type": "http", "app": app, "method": method, "path": path, "root_path": ""}


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_the_name_is_the_instrumentations_own(tmp_path: Any, method: str, path: str) -> None:
    app = _app(tmp_path)
    scope = _scope(app, method, path)
    assert RouteTemplates(app).span_details(scope) == _get_default_span_details(scope)


def test_only_the_routes_a_path_can_match_are_tried(tmp_path: Any) -> None:
    app = _app(tmp_path)
    templates = RouteTemplates(app)
    tried = [r.path for r in templates.candidates(_scope(app, "GET", "/v1/calls/c-1"))]
    assert [p for p in tried if p.startswith("/v1/calls")] == [
        "/v1/calls",
        "/v1/calls/{call_id}",
        "/v1/calls/{call_id}",
        "/v1/calls/{call_id}/audio",
    ]
    assert "/v1/{anything}/x" in tried and "" in tried, "and those of any first segments"
    assert not [p for p in tried if p.startswith("/v1/other")], "not the 40 under /v1/other"


def test_a_route_added_later_is_found(tmp_path: Any) -> None:
    app = _app(tmp_path)
    app.router.routes.pop()  # the web app's mount, which matches any path
    templates = RouteTemplates(app)
    scope = _scope(app, "GET", "/v1/late/one")
    assert templates.route(scope) is None
    app.add_api_route("/v1/late/{n}", _ok, methods=["GET"])
    assert templates.route(scope) == "/v1/late/{n}"


def test_the_instrumented_app_names_its_spans_through_it(tmp_path: Any) -> None:
    app = _app(tmp_path)
    FastAPIInstrumentor.instrument_app(app)
    templates = name_spans_by_route_templates(app)
    outer = app.build_middleware_stack()
    assert isinstance(outer.app, OpenTelemetryMiddleware)  # type: ignore[attr-defined]
    assert outer.app.default_span_details == templates.span_details  # type: ignore[attr-defined]
