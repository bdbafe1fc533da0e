"""Refuse a query parameter given more than once: no public route takes a list, and
silently keeping one of the values (FastAPI keeps the last) hides a client's mistake."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.entrypoints.asgi_bodies import send_error


class SingleQueryValueMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            query = scope["query_string"].decode("latin-1")
            counts = Counter(k for k, _ in parse_qsl(query, keep_blank_values=True))
            repeated = sorted(k for k, n in counts.items() if n > 1)
            if repeated:
                await send_error(
                    send,
                    422,
                    "validation_error",
                    f"query parameter(s) given more than once: {', '.join(repeated)}",
                )
                return
        await self.app(scope, receive, send)
