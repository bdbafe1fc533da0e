"""Clients of the owning services' internal HTTP APIs, with the signed identity attached.

One ``httpx.AsyncClient`` for every downstream call (connection pooling), explicit
timeouts, no retries (most forwarded calls are not idempotent). What comes back is
translated once, here: a downstream 4xx is passed through in the common error shape,
a 503 too (with its ``Retry-After``: the service is up but a dependency such as S3 is
not, and the client should simply try again), any other 5xx becomes 502, and a service
that cannot be reached becomes 503 ``service_unavailable``, never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Mapping
from typing import Any, Literal

import httpx

from clashtor_common.errors import ApiError, field_errors_of
from clashtor_common.identity import IDENTITY_HEADER, Identity, sign_identity
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

Service = Literal["ingest", "transcribe", "score", "billing", "privacy", "integrations"]

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


class ServiceClients:
    """The gateway's one way to reach the services' internal APIs."""

    def __init__(
        self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._secret = settings.identity_secret.get_secret_value()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.downstream_timeout_seconds),
            transport=transport,
            follow_redirects=False,
        )

    def url(self, service: Service, path: str) -> str:
        return f"{self.settings.service_url(service)}{path}"

    def identity_headers(self, identity: Identity | None) -> dict[str, str]:
        if identity is None:
            return {}
        token = sign_identity(
            identity, self._secret, ttl_seconds=self.settings.identity_ttl_seconds
        )
        return {IDENTITY_HEADER: token}

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
        request = self._client.build_request(
            method,
            self.url(service, path),
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=json,
            content=content,
            headers=all_headers,
            timeout=httpx.Timeout(timeout) if timeout else httpx.USE_CLIENT_DEFAULT,
        )
        try:
            return await self._client.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise unavailable(service, exc) from exc

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

    async def aclose(self) -> None:
        await self._client.aclose()
