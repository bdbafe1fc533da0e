"""Idempotency-Key on POST: one effect per key, the first answer replayed, misuse refused."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select, text

from gateway.adapters.tables import ApiKey


async def _keys(api: Any, org_id: str) -> int:
    async with api.app.state.gateway.db.session() as session:
        query = select(func.count()).select_from(ApiKey).where(ApiKey.org_id == org_id)
        return int((await session.execute(query)).scalar_one())


async def test_the_same_key_and_body_replays_the_first_answer(api: Any) -> None:
    owner = await api.signup()
    headers = {"Idempotency-Key": "create-ci-key-1"}
    first = await owner.client.post("/v1/api-keys", json={"name": "CI"}, headers=headers)
    again = await owner.client.post("/v1/api-keys", json={"name": "CI"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same key id and secret, not a second key
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _keys(api, owner.org_id) == 1


async def test_the_same_key_with_another_body_is_refused_with_422(api: Any) -> None:
    owner = await api.signup()
    headers = {"Idempotency-Key": "k-2"}
    assert (
        await owner.client.post("/v1/api-keys", json={"name": "CI"}, headers=headers)
    ).status_code == 201
    other = await owner.client.post("/v1/api-keys", json={"name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await _keys(api, owner.org_id) == 1


async def test_keys_are_scoped_to_the_caller(api: Any) -> None:
    owner = await api.signup()
    stranger = await api.signup()
    headers = {"Idempotency-Key": "shared-key"}
    mine = await owner.client.post("/v1/api-keys", json={"name": "CI"}, headers=headers)
    theirs = await stranger.client.post("/v1/api-keys", json={"name": "CI"}, headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]  # never the other caller's answer
    assert "idempotent-replayed" not in theirs.headers


async def test_concurrent_duplicates_take_effect_once(api: Any) -> None:
    owner = await api.signup()
    headers = {"Idempotency-Key": "burst"}
    answers = await asyncio.gather(
        *(owner.client.post("/v1/api-keys", json={"name": "CI"}, headers=headers) for _ in range(6))
    )
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {201, 409} and 201 in codes, codes
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1  # replays answer the same key; the others were told to wait
    for busy in (a for a in answers if a.status_code == 409):
        assert busy.json()["error"]["code"] == "idempotency_key_in_use"
    assert await _keys(api, owner.org_id) == 1


async def test_a_bad_key_is_refused_and_the_stored_answer_is_sealed(api: Any) -> None:
    owner = await api.signup()
    bad = await owner.client.post(
        "/v1/api-keys", json={"name": "CI"}, headers={"Idempotency-Key": "x" * 256}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_idempotency_key"
    made = await owner.client.post(
        "/v1/api-keys", json={"name": "CI"}, headers={"Idempotency-Key": "sealed"}
    )
    secret = made.json()["key"].encode()
    async with api.app.state.gateway.db.session() as session:
        raw = (
            await session.execute(
                text("SELECT body_sealed FROM gateway_idempotency_keys WHERE key = 'sealed'")
            )
        ).scalar_one()
    assert raw and secret not in bytes(raw)  # the raw column: ciphertext only
