"""Every request body is bounded before a route reads it.

Starlette reads a JSON route's body whole before validating it, so a chunked body with
no Content-Length to ``/v1/auth/login`` (which anyone may call) was held in memory to
its end. Here a body is read up to ``limit`` and refused with 413 past it; the upload,
which streams its body to ingest under limits of its own, is passed by. A body the
client breaks off reaches no route.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware
from gateway.entrypoints.asgi_bodies import read_body, replaying, send_error

BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimitMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, limit: int, streamed: Collection[tuple[str, str]]) -> None:
        super().__init__(app)
        self.limit = limit
        self.streamed = frozenset(streamed)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method in BODILESS or (method, scope["path"]) in self.streamed:
            await self.app(scope, receive, send)
            return
        too_large = f"the request body is over {self.limit} bytes"
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await send_error(send, 413, "payload_too_large", too_large)
            return
        try:
            body = await read_body(receive, self.limit)
        except ClientDisconnect:
            return  # nobody to answer, and half a body to act on
        if body is None:
            await send_error(send, 413, "payload_too_large", too_large)
            return
        await self.app(scope, replaying(body), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
