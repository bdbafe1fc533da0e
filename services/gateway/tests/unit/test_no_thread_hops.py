"""No route's dependencies run in the worker thread pool: FastAPI runs every plain ``def``
dependency there, a thread hop per request (``GatewayDep`` was one, on every route)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gateway.entrypoints.http import routers


def _sync_dependencies(dependant: Dependant) -> Iterator[str]:
    for dep in dependant.dependencies:
        call = dep.call
        method = type(call).__dict__.get("__call__")  # a class instance (HTTPBearer…)
        is_async = inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(method)
        if call is not None and not is_async:
            yield getattr(call, "__name__", repr(call))
        yield from _sync_dependencies(dep)


def test_every_dependency_of_every_route_is_async() -> None:
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 50
    found = {
        f"{sorted(route.methods)} {route.path}: {name}"
        for route in routes
        for name in _sync_dependencies(route.dependant)
    }
    assert not found, sorted(found)[:10]
