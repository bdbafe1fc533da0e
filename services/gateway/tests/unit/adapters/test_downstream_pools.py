"""Each service's httpx clients keep ``GATEWAY_DOWNSTREAM_CONNECTIONS`` whole (they carry
hour-long progress streams and uploads); the read pool has a cap of its own. A request
waits for a free connection the pool timeout at most, whatever its read timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from clashtor_common.errors import ApiError
from gateway.adapters.services import ServiceClients
from gateway.settings import GatewaySettings


def _caps(services: ServiceClients, service: str) -> tuple[int, int]:
    """(httpx pool cap, aiohttp read pool cap) of ``service``."""
    pool = services._clients[service]._transport._pool  # type: ignore[attr-defined]
    return pool._max_connections, services._reads._session(service).connector.limit


@pytest.mark.parametrize(
    ("total", "reads", "expected"), [(100, None, (100, 50)), (30, 8, (30, 8)), (1, None, (1, 1))]
)
async def test_the_httpx_clients_keep_the_whole_cap_and_the_read_pool_its_own(
    total: int, reads: int | None, expected: tuple[int, int]
) -> None:
    settings = GatewaySettings(downstream_connections=total, downstream_read_connections=reads)
    services = ServiceClients(settings)
    try:
        for service in ("ingest", "transcribe", "score"):
            assert _caps(services, service) == expected
    finally:
        await services.aclose()


@pytest.fixture
async def endless_stream() -> AsyncIterator[TestServer]:
    """A service whose ``/stream`` answers and then sends nothing more (a progress stream
    of a call still in work) until the test ends."""
    done = asyncio.Event()

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"data: started\n\n")
        await done.wait()
        return response

    app = web.Application()
    app.router.add_get("/stream", stream)
    server = TestServer(app)
    await server.start_server()
    try:
        yield server
    finally:
        done.set()
        await server.close()


async def test_a_request_waits_the_pool_timeout_for_a_connection_not_its_read_timeout(
    endless_stream: TestServer,
) -> None:
    """With one connection held by a stream (read timeout an hour), the next request
    asking for the same hour answers 503 after the pool timeout: the per-request
    ``httpx.Timeout(timeout)`` made the wait for a connection an hour long too."""
    settings = GatewaySettings(
        ingest_url=str(endless_stream.make_url("")).rstrip("/"),
        downstream_connections=1,
        downstream_pool_timeout_seconds=0.2,
    )
    services = ServiceClients(settings)
    try:
        held = await services.request(
            "ingest", "GET", "/stream", identity=None, timeout=3600, stream=True
        )
        assert held.status_code == 200
        with pytest.raises(ApiError) as refused:
            await asyncio.wait_for(
                services.request("ingest", "GET", "/stream", identity=None, timeout=3600),
                timeout=20,
            )
        assert refused.value.status == 503
        assert refused.value.headers["Retry-After"]
        await held.aclose()
    finally:
        await services.aclose()
