"""Brute force on /v1/auth/login: growing delays per (account, address), a sliding
window per address → 429; never a lock on the account itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.settings import GatewaySettings

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def gateway_settings(settings_factory: Callable[..., GatewaySettings]) -> GatewaySettings:
    return settings_factory(
        login_free_failures=3,
        login_base_delay_seconds=60,
        login_max_failures_per_address=5,
        login_window_seconds=600,
    )


async def _account(api: Any, label: str) -> str:
    owner = await api.signup(label)
    return str(owner.email)


async def test_a_guessers_delay_grows_but_the_owner_signs_in_from_elsewhere(api: Any) -> None:
    email = await _account(api, "victim")
    attacker = api.client(address="10.0.0.1")
    for _ in range(3):
        resp = await attacker.post("/v1/auth/login", json={"email": email, "password": "guess1234"})
        assert resp.status_code == 401
    blocked = await attacker.post("/v1/auth/login", json={"email": email, "password": "guess1234"})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(blocked.headers["retry-after"]) <= 60
    # The attacker's address is slowed down for this account, even with the right password...
    right = await attacker.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert right.status_code == 429
    # ...but the account is not locked: its owner signs in from their own address.
    owner = api.client(address="10.0.0.2")
    ok = await owner.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert ok.status_code == 200


async def test_failures_from_one_address_across_accounts_answer_429(api: Any) -> None:
    emails = [await _account(api, f"spray{i}") for i in range(3)]
    sprayer = api.client(address="10.0.0.9")
    statuses = []
    for email in emails:
        for _ in range(2):
            resp = await sprayer.post(
                "/v1/auth/login", json={"email": email, "password": "wrong-password"}
            )
            statuses.append(resp.status_code)
    # five failures allowed per address, the sixth attempt is throttled
    assert statuses == [401, 401, 401, 401, 401, 429]
    # another address is unaffected for an account that is not itself throttled
    fresh = await _account(api, "fresh")
    ok = await api.client(address="10.0.0.10").post(
        "/v1/auth/login", json={"email": fresh, "password": PASSWORD}
    )
    assert ok.status_code == 200


async def test_a_successful_login_resets_the_account_counter(api: Any) -> None:
    email = await _account(api, "forgetful")
    client = api.client(address="10.0.1.1")
    for _ in range(2):
        await client.post("/v1/auth/login", json={"email": email, "password": "wrong-password"})
    assert (
        await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == 200
    for _ in range(2):
        resp = await api.client(address="10.0.1.2").post(
            "/v1/auth/login", json={"email": email, "password": "wrong-password"}
        )
        assert resp.status_code == 401


async def test_unknown_accounts_count_against_the_address(api: Any) -> None:
    client = api.client(address="10.0.2.1")
    statuses = [
        (
            await client.post(
                "/v1/auth/login", json={"email": f"nobody{i}@example.com", "password": "x"}
            )
        ).status_code
        for i in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429


async def test_behind_the_ingress_a_forged_forwarded_for_does_not_reset_the_count(
    make_api: Any,
) -> None:
    api = await make_api(
        trust_forwarded_for=True,
        login_free_failures=100,
        login_max_failures_per_address=3,
    )
    statuses = []
    for i in range(4):
        # the client forges the first entry; the ingress appends the real address last
        client = api.client(**{"x-forwarded-for": f"198.51.100.{i}, 203.0.113.7"})
        resp = await client.post(
            "/v1/auth/login", json={"email": f"x{i}@example.com", "password": "wrong-password"}
        )
        statuses.append(resp.status_code)
    assert statuses == [401, 401, 401, 429]
