"""Each service's connections are capped once: the read pool has its share of
``GATEWAY_DOWNSTREAM_CONNECTIONS``, the httpx clients the rest (they had the cap each)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.adapters.services import ServiceClients
from gateway.settings import GatewaySettings


def _caps(services: ServiceClients, service: str) -> tuple[int, int]:
    """(httpx pool cap, aiohttp read pool cap) of ``service``."""
    pool = services._clients[service]._transport._pool  # type: ignore[attr-defined]
    return pool._max_connections, services._reads._session(service).connector.limit


@pytest.mark.parametrize(("total", "reads", "expected"), [(100, None, (50, 50)), (30, 8, (22, 8))])
async def test_the_read_pool_takes_its_share_of_the_cap_not_a_second_cap(
    total: int, reads: int | None, expected: tuple[int, int]
) -> None:
    settings = GatewaySettings(downstream_connections=total, downstream_read_connections=reads)
    services = ServiceClients(settings)
    try:
        for service in ("ingest", "transcribe", "score"):
            assert _caps(services, service) == expected
            assert sum(_caps(services, service)) == total
    finally:
        await services.aclose()


def test_the_reads_share_must_leave_room_for_the_rest() -> None:
    with pytest.raises(ValidationError, match="READ_CONNECTIONS"):
        GatewaySettings(downstream_connections=10, downstream_read_connections=10)
