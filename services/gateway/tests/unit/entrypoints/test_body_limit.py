"""The body limit hands a route whole bodies only (review: a client that broke off
mid-body had its first half replayed to the route as a complete body)."""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Receive, Scope, Send

from gateway.entrypoints.body_limit import BodyLimitMiddleware


def _scope() -> Scope:
    return {"type": "http", "method": "POST", "path": "/v1/auth/login", "headers": []}


def _receiving(*messages: Message) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


async def _ignore(message: Message) -> None:
    return None


class Route:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message: dict[str, Any] = await receive()
        self.bodies.append(message.get("body", b""))


async def _reached(*messages: Message) -> list[bytes]:
    """The bodies a route behind a 1 KiB limit got from ``messages``."""
    route = Route()
    await BodyLimitMiddleware(route, limit=1024, streamed=[])(
        _scope(), _receiving(*messages), _ignore
    )
    return route.bodies


async def test_a_body_broken_off_reaches_no_route() -> None:
    broken = (
        {"type": "http.request", "body": b'{"email": "a@b.c",', "more_body": True},
        {"type": "http.disconnect"},
    )
    assert await _reached(*broken) == []


async def test_a_whole_body_in_pieces_reaches_the_route_as_one() -> None:
    pieces = (
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    )
    assert await _reached(*pieces) == [b'{"a":1}']
