"""Clients of the owning services' internal HTTP APIs, with the signed identity attached.

One pooled ``httpx.AsyncClient`` per service (HTTP keep-alive, limits of its own, so a
burst of reads to one service cannot take every connection another needs), explicit
timeouts, no retries (most forwarded calls are not idempotent). The plain GETs of the
hot reads go through an ``aiohttp`` pool instead (``ReadPool``, see there why); the two
share each service's ``GATEWAY_DOWNSTREAM_CONNECTIONS``, the reads
``GATEWAY_DOWNSTREAM_READ_CONNECTIONS`` of them (half unless set). The signed identity of
a caller is reused while most of its short lifetime is left (``IdentityTokens``): a read
signs nothing when the same caller asked a moment ago. What comes back is
translated once, here: a downstream 4xx is passed through in the common error shape,
a 503 too (with its ``Retry-After``: the service is up but a dependency such as S3 is
not, and the client should simply try again), any other 5xx becomes 502, and a service
that cannot be reached becomes 503 ``service_unavailable``, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any, Literal, get_args

import aiohttp
import httpx
from cachetools import TTLCache
from opentelemetry import propagate

from clashtor_common.errors import ApiError, field_errors_of
from clashtor_common.etags import ETAG, IF_NONE_MATCH
from clashtor_common.identity import IDENTITY_HEADER, Identity, sign_identity
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

Service = Literal["ingest", "transcribe", "score", "billing", "privacy", "integrations"]
SERVICES: tuple[Service, ...] = get_args(Service)

_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    429: "too_many_requests",
}
_PASSED_HEADERS = ("retry-after",)


def unavailable(service: str, exc: Exception | None = None) -> ApiError:
    if exc is not None:
        log.warning("%s unreachable: %r", service, exc)
    return ApiError(
        503,
        "service_unavailable",
        f"the {service} service is unavailable; try again shortly",
        headers={"Retry-After": "5"},
    )


def _error_from_body(resp: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = resp.json()
    except ValueError:
        return None, resp.text[:500] or None
    if isinstance(body, Mapping):
        err = body.get("error")
        if isinstance(err, Mapping) and "code" in err:
            return str(err.get("code")), str(err.get("message", ""))
        detail = body.get("detail")
        if detail is not None:
            return None, str(detail)[:500]
    return None, None


def raise_for_downstream(service: str, resp: httpx.Response) -> None:
    """Turn a downstream error response into the gateway's error; no-op for success."""
    status = resp.status_code
    if status < 400:
        return
    code, message = _error_from_body(resp)
    if status == 401:
        # Our own signed identity was refused: a configuration fault, not the caller's.
        log.error("%s refused the internal identity: %s %s", service, code, message)
        raise ApiError(502, "upstream_error", f"the {service} service refused the request")
    headers = {k: v for k, v in resp.headers.items() if k.lower() in _PASSED_HEADERS}
    if status == 503:
        log.warning("%s is degraded: %s", service, message)
        raise ApiError(
            503,
            code or "service_unavailable",
            message or f"the {service} service is unavailable; try again shortly",
            headers=headers or {"Retry-After": "5"},
        )
    if status >= 500:
        log.error("%s answered %s: %s", service, status, message)
        raise ApiError(502, "upstream_error", f"the {service} service failed; try again")
    raise ApiError(
        status,
        code or _ERROR_CODES.get(status, "error"),
        message or f"{service} answered {status}",
        headers=headers or None,
        errors=_field_errors(resp) if status == 422 else None,
    )


def _field_errors(resp: httpx.Response) -> list[dict[str, str]] | None:
    try:
        return field_errors_of(resp.json())
    except ValueError:
        return None


def json_body(service: str, resp: httpx.Response) -> Any:
    raise_for_downstream(service, resp)
    if resp.status_code == 204 or not resp.content:
        return None
    try:
        return resp.json()
    except ValueError as exc:
        log.error("%s answered %s with a body that is not JSON", service, resp.status_code)
        raise ApiError(502, "upstream_error", f"the {service} service answered nonsense") from exc


class IdentityTokens:
    """Signed identities, each reused while more than half its lifetime is left.

    A token is valid ``ttl_seconds`` (60 s) from signing; handing out one at most
    ``ttl_seconds / 2`` old leaves the receiving service as much time as before to check
    it, and saves an HMAC-signed JWT per downstream request. Bounded: past
    ``max_entries`` callers the least recently used goes (it is signed anew).
    """

    def __init__(
        self,
        secret: str,
        ttl_seconds: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._tokens: TTLCache[Identity, str] = TTLCache(max_entries, ttl_seconds / 2, timer=clock)

    def token(self, identity: Identity) -> str:
        token = self._tokens.get(identity)
        if token is None:
            token = sign_identity(identity, self._secret, ttl_seconds=self.ttl_seconds)
            self._tokens[identity] = token
        return token


class ReadPool:
    """Keep-alive ``aiohttp`` sessions, one per service, for the hot reads' plain GETs.

    ``GET /v1/calls/{id}`` makes three internal requests per read; through httpx each
    cost the gateway about as much CPU as the service spent answering it. aiohttp's
    client does the same GET for a tenth of that (measured: 200 concurrent GETs of a
    small JSON body on loopback, 1.9-2.4 ms of client CPU per request through httpx with
    16 or 100 pooled connections, 0.19 ms through aiohttp: httpcore's pool looks at
    every connection, with a ``select`` each, to hand out and to take back one). One
    stack would be simpler; at this cost it is not worth it. The answer is handed on as an
    ``httpx.Response``, so its translation (``json_body``, ``raise_for_downstream``) is
    the one every other request gets. The trace context is injected as httpx's
    instrumentation does (``traceparent``): the service's span joins the request's trace.
    """

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._sessions: dict[str, aiohttp.ClientSession] = {}

    def _session(self, service: str) -> aiohttp.ClientSession:
        session = self._sessions.get(service)
        if session is None or session.closed:  # made on first use: it needs the running loop
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.settings.read_connections(),
                    keepalive_timeout=KEEPALIVE_SECONDS,
                ),
                timeout=aiohttp.ClientTimeout(  # per phase, as the httpx clients' timeouts
                    total=None,
                    connect=self.settings.downstream_pool_timeout_seconds,  # a free connection
                    sock_connect=self.settings.downstream_timeout_seconds,
                    sock_read=self.settings.downstream_timeout_seconds,
                ),
                auto_decompress=False,  # httpx.Response decodes, as for every answer
            )
            self._sessions[service] = session
        return session

    async def get(self, service: str, url: str, headers: dict[str, str]) -> httpx.Response:
        propagate.inject(headers)
        try:
            async with self._session(service).get(
                url, headers=headers, allow_redirects=False
            ) as resp:
                body = await resp.read()
                return httpx.Response(resp.status, headers=list(resp.headers.items()), content=body)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise unavailable(service, exc) from exc

    async def aclose(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


KEEPALIVE_SECONDS = 4.0
"""Below uvicorn's 5 s idle timeout: an idle pooled connection is dropped by us first,
never reused at the instant the service closes it (a RemoteProtocolError)."""


class ServiceClients:
    """The gateway's one way to reach the services' internal APIs."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._tokens = IdentityTokens(
            settings.identity_secret.get_secret_value(), settings.identity_ttl_seconds
        )
        connections = settings.downstream_connections
        limits = httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
        )
        self._clients: dict[str, httpx.AsyncClient] = {
            service: httpx.AsyncClient(
                timeout=httpx.Timeout(
                    settings.downstream_timeout_seconds,
                    pool=settings.downstream_pool_timeout_seconds,
                ),
                limits=limits,
                follow_redirects=False,
            )
            for service in SERVICES
        }
        self._reads = ReadPool(settings)

    def url(self, service: Service, path: str) -> str:
        return f"{self.settings.service_url(service)}{path}"

    def identity_headers(self, identity: Identity | None) -> dict[str, str]:
        if identity is None:
            return {}
        return {IDENTITY_HEADER: self._tokens.token(identity)}

    async def request(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        identity: Identity | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request; 503 if the service cannot be reached. Caller reads the status."""
        all_headers = {**(headers or {}), **self.identity_headers(identity)}
        client = self._clients[service]
        request = client.build_request(
            method,
            self.url(service, path),
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=json,
            content=content,
            headers=all_headers,
            # a long read (a progress stream, an upload) does not wait that long for a
            # free connection: the pool timeout stays, PoolTimeout answers 503
            timeout=(
                httpx.Timeout(timeout, pool=self.settings.downstream_pool_timeout_seconds)
                if timeout
                else httpx.USE_CLIENT_DEFAULT
            ),
        )
        try:
            return await client.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise unavailable(service, exc) from exc

    async def get(
        self,
        service: Service,
        path: str,
        *,
        identity: Identity,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A plain GET (no query, no body) through the lighter read pool; 503 if the
        service cannot be reached. Caller reads the status."""
        all_headers = {**(headers or {}), **self.identity_headers(identity)}
        return await self._reads.get(service, self.url(service, path), all_headers)

    async def call_json(
        self, service: Service, method: str, path: str, **request: Any
    ) -> tuple[int, Any]:
        """A JSON round trip (``request``: ``identity=`` and what else ``request`` takes):
        (status, body) on success, the translated error otherwise."""
        resp = await self.request(service, method, path, **request)
        return resp.status_code, json_body(service, resp)

    async def get_optional(self, service: Service, path: str, *, identity: Identity) -> Any:
        """GET that treats 404 as "not there yet" (None) rather than an error."""
        resp = await self.request(service, "GET", path, identity=identity)
        if resp.status_code == 404:
            return None
        return json_body(service, resp)

    async def get_part(
        self, service: Service, path: str, *, identity: Identity, etag: str | None
    ) -> tuple[bool, str | None, Any]:
        """A conditional ``get_optional``: sent with ``If-None-Match: etag`` when one is
        held. (False, etag, None) when the service answered 304 (what the caller holds is
        current), else (True, the new ETag, the body or None for a 404)."""
        headers = {IF_NONE_MATCH: etag} if etag else None
        resp = await self.get(service, path, identity=identity, headers=headers)
        if resp.status_code == 304 and etag:
            return False, etag, None
        if resp.status_code == 404:
            return True, None, None
        return True, resp.headers.get(ETAG), json_body(service, resp)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        await self._reads.aclose()
