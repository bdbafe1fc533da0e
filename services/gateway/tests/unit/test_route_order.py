"""The app tries its resource routers in ``routers``' order, and every route of each one it
passes (FastAPI's included routers have no prefix short-cut): ``GET /v1/calls/{id}``, the
hot read, went through the routes of five routers (auth, me, members, invitations, API
keys: ~29 us of the gateway's ~1.2 ms per read) before its own. The calls router is
tried first, and no router answers a path another one behind it serves, so the order
changes no answer."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from starlette.routing import Match

from gateway.entrypoints.http import routers
from gateway.entrypoints.routes import calls


def test_the_calls_router_is_tried_first() -> None:
    assert routers[0] is calls.router


def _request(method: str, template: str) -> dict[str, object]:
    path = re.sub(r"\{[^}]+\}", "x1", template)
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_no_router_answers_a_path_served_by_one_behind_it() -> None:
    routes = [[r for r in router.routes if isinstance(r, APIRoute)] for router in routers]
    shadowed = [
        f"{method} {later.path} would go to {earlier.path}"
        for n, group in enumerate(routes)
        for later in group
        for method in later.methods
        for before in routes[:n]
        for earlier in before
        if earlier.matches(_request(method, later.path))[0] is Match.FULL
    ]
    assert not shadowed, shadowed[:10]
