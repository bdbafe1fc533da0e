"""Per-user and per-organization limits on costly requests: 429 with Retry-After."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def gateway_settings(settings_factory: Callable[..., GatewaySettings]) -> GatewaySettings:
    return settings_factory(
        rate_limits={
            "signup": {"addr": 10_000},
            "confirm": {"addr": 10_000},
            "export": {"user": 2, "org": 3},
            "upload": {"user": 1},
        }
    )


async def _export(member: Any) -> Any:
    return await member.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": member.user_id}}
    )


async def test_exports_are_limited_per_user_then_per_organization(api: Any) -> None:
    owner, rep = await api.team("rep")
    assert [(await _export(owner)).status_code for _ in range(2)] == [202, 202]
    limited = await _export(owner)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    assert (await _export(rep)).status_code == 202  # the org's third
    assert (await _export(rep)).status_code == 429  # the org's limit, not the rep's


async def test_uploads_are_limited_per_user(api: Any) -> None:
    owner = await api.signup()
    files = {"file": ("a.wav", b"RIFF" + bytes(64), "audio/wav")}
    first = await owner.client.post("/v1/calls", files=files)
    assert first.status_code in (200, 202), first.text
    second = await owner.client.post("/v1/calls", files=files)
    assert second.status_code == 429 and "retry-after" in second.headers


async def test_a_parallel_burst_never_passes_the_limit(api: Any) -> None:
    """Twelve exports at once against a per-user limit of 2 (and 3 per org): the attempt
    is recorded before the others are counted, so at most two get through."""
    owner = await api.signup()
    answers = await asyncio.gather(*(_export(owner) for _ in range(12)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(202) <= 2, codes
    assert set(codes) <= {202, 429}, codes
    # Refused attempts are not counted: once the burst is over the limit is the limit.
    assert all("retry-after" in a.headers for a in answers if a.status_code == 429)
