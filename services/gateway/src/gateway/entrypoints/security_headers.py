"""Security headers on every gateway response, the web app's included.

The content security policy fits the same-origin single-page app the gateway serves at
``/``: scripts, styles, media and API calls from the gateway's own origin only, no
inline script, no framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` for
older browsers). The interactive API docs (``/docs``, ``/redoc``) load their bundle from
a CDN with an inline bootstrap script, so they get a policy that allows just that.
HSTS is sent only when the request came over TLS (directly, or as the ingress says in
``X-Forwarded-Proto`` when ``trust_forwarded_for``): over plain HTTP it would be ignored,
and on ``localhost`` it would pin every other local app to HTTPS.
API answers that set no ``Cache-Control`` get ``no-store``: they carry personal data.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # no inline script: the web build emits none
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",  # the ranged audio of a call
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=63072000; includeSubDomains"
COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


def _over_tls(scope: Scope, trust_forwarded: bool) -> bool:
    if scope.get("scheme") == "https":
        return True
    if trust_forwarded:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-proto":
                return value.decode("latin-1").split(",")[-1].strip().lower() == "https"
    return False


class SecurityHeadersMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, trust_forwarded: bool = False) -> None:
        super().__init__(app)
        self.trust_forwarded = trust_forwarded

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else CSP
        tls = _over_tls(scope, self.trust_forwarded)
        api = path.startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in COMMON if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp.encode()))
                if tls:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                if api and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
