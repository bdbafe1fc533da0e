"""Streaming a downstream answer through to the client without holding it in memory.

Used for recordings (ingest) and export bundles (privacy): the body is passed on as it
arrives, only the named headers are kept, and the answer is never cached by a shared
cache. An error answer is read and translated like any forwarded call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from clashtor_common.errors import ApiError
from clashtor_common.identity import Identity
from gateway.adapters.services import Service, ServiceClients, raise_for_downstream

PRIVATE_NO_STORE = "private, no-store"


async def stream_through(
    services: ServiceClients,
    service: Service,
    path: str,
    *,
    identity: Identity,
    keep_headers: Iterable[str],
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> StreamingResponse:
    """GET ``path`` from ``service`` as ``identity`` and stream its body to the client
    (``timeout``: the longest wait for the next bytes, for long-lived streams)."""
    resp = await services.request(
        service,
        "GET",
        path,
        identity=identity,
        headers=dict(headers or {}),
        stream=True,
        timeout=timeout,
    )
    if resp.status_code >= 300:
        await resp.aread()
        await resp.aclose()
        raise_for_downstream(service, resp)
        raise ApiError(502, "upstream_error", f"the {service} service answered a redirect")
    kept = {name.lower() for name in keep_headers}
    out = {k: v for k, v in resp.headers.items() if k.lower() in kept}
    out["cache-control"] = PRIVATE_NO_STORE
    return StreamingResponse(
        resp.aiter_raw(),
        status_code=resp.status_code,
        headers=out,
        background=BackgroundTask(resp.aclose),
    )
