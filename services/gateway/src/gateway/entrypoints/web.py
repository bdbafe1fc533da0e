"""The web app at ``/``: the built single-page app (``web/dist``), same origin as ``/v1``.

It is served as the router's *fallback*, not as a route: only a request no API route
matches reaches it, so a wrong method on an API path still answers 405 and an unknown
``/v1``, ``/docs``, ``/webhooks`` or ``/internal`` path still answers the JSON 404. Any
other GET is a file of the build or, for a client-side route (``/calls/abc``), the
``index.html`` that boots the app.

Caching: Vite names every asset under ``assets/`` by its content hash, so those are
immutable for a year; ``index.html`` (which names the current hashes) is ``no-cache``.
Its Content-Security-Policy and the other security headers are the gateway's, set on
every response by ``entrypoints.security_headers``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIXES = ("/v1", "/docs", "/redoc", "/openapi.json", "/webhooks", "/internal")
IMMUTABLE = "public, max-age=31536000, immutable"


def _is_api(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


class WebApp:
    """ASGI fallback: the file asked for, or ``index.html``; ``not_found`` for API paths."""

    def __init__(self, root: Path, not_found: ASGIApp) -> None:
        self.root = root.resolve()
        self.index = self.root / "index.html"
        self.not_found = not_found

    def _file(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate.is_relative_to(self.root) and candidate.is_file():
            return candidate
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or _is_api(path)
            or not self.index.is_file()
        ):
            await self.not_found(scope, receive, send)
            return
        found = self._file(path)
        if found is not None and found != self.index:
            hashed = found.parent == self.root / "assets"
            cache = IMMUTABLE if hashed else "no-cache"
            response: Response = FileResponse(found, headers={"Cache-Control": cache})
        elif found is None and path.startswith("/assets/"):
            # a stale hash after a deploy: a 404, not index.html served as JavaScript
            response = Response("not found", status_code=404, media_type="text/plain")
        else:
            response = FileResponse(
                self.index, media_type="text/html", headers={"Cache-Control": "no-cache"}
            )
        await response(scope, receive, send)


def serve_web(app: object, root: str | None) -> None:
    """Make the built app at ``root`` the fallback of ``app``'s router (no-op without one)."""
    if not root:
        return
    router = app.router  # type: ignore[attr-defined]
    router.default = WebApp(Path(root), router.not_found)
