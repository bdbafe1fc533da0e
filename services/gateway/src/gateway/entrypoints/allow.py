"""``405 Method Not Allowed`` answers with every method the path supports in ``Allow``.

Starlette lists only the methods of the first route whose path matched, but FastAPI
registers one route per method, so ``GET /v1/me`` and ``PATCH /v1/me`` are two routes.
This middleware rewrites ``Allow`` on a 405 from all routes of the path.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware


class AllowHeaderMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, routers: Sequence[APIRouter]) -> None:
        super().__init__(app)
        self.routes: list[BaseRoute] = [r for router in routers for r in router.routes]

    def allowed(self, scope: Scope) -> list[str]:
        methods: set[str] = set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                methods |= set(getattr(route, "methods", ()) or ())
        return sorted(methods)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = self.allowed(scope)
                if methods:
                    headers = [
                        (k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"
                    ]
                    headers.append((b"allow", ", ".join(methods).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_allow)
