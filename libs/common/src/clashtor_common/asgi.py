"""The base of the pure ASGI middlewares that look at HTTP requests only.

Pure ASGI, not Starlette's ``BaseHTTPMiddleware``: no task switch between the middleware
and the endpoint, so context a middleware binds (request id, baggage) reaches the endpoint,
and a response streams through untouched but for what the middleware changes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """Lifespan and websocket scopes pass by; each HTTP request goes to ``handle``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One HTTP request: hand it to ``self.app``, with what this middleware adds."""
        raise NotImplementedError
