"""HttpMiddleware: HTTP requests go to handle, every other scope passes by untouched."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware


class Marking(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "marked": True}, receive, send)


async def test_http_goes_to_handle_and_other_scopes_pass_by() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> dict[str, object]:
        return {}

    async def send(message: object) -> None:
        return None

    middleware = Marking(app)
    for kind in ("http", "lifespan", "websocket"):
        await middleware({"type": kind}, receive, send)
    assert seen == [
        {"type": "http", "marked": True},
        {"type": "lifespan"},
        {"type": "websocket"},
    ]
