"""Security headers on every answer; recordings and exports never cached by others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def gateway_settings(settings_factory: Callable[..., GatewaySettings]) -> GatewaySettings:
    return settings_factory(trust_forwarded_for=True)


async def test_every_answer_carries_the_security_headers(api: Any) -> None:
    client = api.client()
    for resp in (
        await client.get("/v1/me"),  # 401
        await client.get("/v1/nowhere"),  # 404
        await client.post("/v1/auth/login", json={}),  # 422
        await client.get("/healthz"),
    ):
        h = resp.headers
        assert h["x-content-type-options"] == "nosniff", resp.url
        assert (
            h["x-frame-options"] == "DENY"
            and "frame-ancestors 'none'" in h["content-security-policy"]
        )
        assert h["referrer-policy"] == "no-referrer"
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "strict-transport-security" not in h  # plain HTTP: HSTS would be ignored
    assert (await client.get("/v1/me")).headers["cache-control"] == "no-store"


async def test_hsts_only_over_tls(api: Any) -> None:
    behind_tls = api.client(**{"x-forwarded-proto": "https"})
    resp = await behind_tls.get("/v1/me")
    assert resp.headers["strict-transport-security"].startswith("max-age=")


async def test_the_api_docs_get_the_policy_their_page_needs(api: Any) -> None:
    docs = await api.client().get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


async def test_audio_is_private_and_never_stored(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id)
    fake_state.audio[call["id"]] = b"RIFF" + bytes(64)
    resp = await owner.client.get(f"/v1/calls/{call['id']}/audio")
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "private, no-store"


async def test_no_email_fingerprint_leaves_the_gateway(api: Any, fake_state: Any) -> None:
    """Ingest keeps a keyed hash of each participant's email for lookups; it is equal
    across organizations, so the public API never shows it."""
    owner = await api.signup()
    person = {"name": "Fay", "email": "fay@buyer.example", "role": "customer"}
    call = fake_state.add_call(
        owner.org_id, owner.user_id, participants=[{**person, "email_fingerprint": "ab" * 32}]
    )
    listed = await owner.client.get("/v1/calls")
    detail = await owner.client.get(f"/v1/calls/{call['id']}")
    assert listed.status_code == detail.status_code == 200
    assert "fingerprint" not in listed.text and "fingerprint" not in detail.text
    assert detail.json()["participants"] == [person]


async def test_an_unhandled_error_answers_500_with_the_headers(make_api: Any) -> None:
    """A bug is answered inside the middlewares: before, Starlette's catch-all answered it
    outside them all, with no security headers, no request id and no ``no-store``."""
    gateway = await make_api()

    @gateway.app.get("/v1/test-bug")
    async def bug() -> None:
        raise RuntimeError("secret detail")

    resp = await gateway.client().get("/v1/test-bug", headers={"x-request-id": "req-bug-gw"})
    assert resp.status_code == 500
    assert resp.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["x-request-id"] == "req-bug-gw"
    assert resp.headers["cache-control"] == "no-store"
