"""ASGI middleware that records one usage row per authenticated request, after it is answered.

``authenticate`` puts the principal and the matched route template into the request
state; this middleware reads them once the response has gone out and hands the row to
the ``UsageRecorder`` (in memory, written in batches), so analytics never delays or
breaks a request.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware
from gateway.adapters.usage_buffer import UsageRecorder

PRINCIPAL_KEY = "principal"
ROUTE_KEY = "usage_route"


class UsageMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, recorder: UsageRecorder) -> None:
        super().__init__(app)
        self.recorder = recorder

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            principal = state.get(PRINCIPAL_KEY)
            route = state.get(ROUTE_KEY)
            if principal is not None and route:
                self.recorder.record(principal, method=scope["method"], route=route, status=status)
