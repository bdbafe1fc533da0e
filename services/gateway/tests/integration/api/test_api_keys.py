"""/v1/api-keys: shown once, stored hashed, listed by prefix, revocable, role-capped."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlmodel import col

from clashtor_common.db import as_utc, utcnow
from clashtor_common.testing.waiting import wait_until
from gateway.adapters.tables import ApiKey
from gateway.adapters.usage_buffer import LAST_USED_GRANULARITY


async def test_key_is_shown_once_and_listed_by_prefix_only(api: Any) -> None:
    owner = await api.signup()
    created = await owner.client.post("/v1/api-keys", json={"name": "CI"})
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith("ck_test_") and len(key) == 56
    assert body["prefix"] == key[:12] and body["role"] == "owner"
    listed = (await owner.client.get("/v1/api-keys")).json()["items"]
    entry = next(k for k in listed if k["id"] == body["id"])
    assert entry["prefix"] == key[:12]
    assert "key" not in entry and key not in str(listed)


async def test_only_a_hash_of_the_key_is_stored(api: Any) -> None:
    owner = await api.signup()
    key = await api.api_key(owner)
    async with api.app.state.gateway.db.session() as session:
        rows = (
            await session.execute(select(ApiKey).where(ApiKey.org_id == owner.org_id))
        ).scalars()
        stored = [(r.key_hash, r.prefix) for r in rows]
    assert stored == [(hashlib.sha256(key.encode()).hexdigest(), key[:12])]


async def test_bearer_key_authenticates_as_its_org_and_role(api: Any) -> None:
    owner = await api.signup()
    key = await api.api_key(owner, role="rep")
    client = api.bearer(key)
    me = await client.get("/v1/me")
    assert me.status_code == 200 and me.json()["id"] == owner.user_id
    # the key acts as a rep, whatever its creator is
    denied = await client.get("/v1/members")
    assert denied.status_code == 403


async def test_revoked_key_is_401(api: Any) -> None:
    owner = await api.signup()
    created = (await owner.client.post("/v1/api-keys", json={"name": "temp"})).json()
    client = api.bearer(created["key"])
    assert (await client.get("/v1/me")).status_code == 200
    assert (await owner.client.delete(f"/v1/api-keys/{created['id']}")).status_code == 204
    resp = await client.get("/v1/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "invalid_api_key"
    assert resp.headers["www-authenticate"] == "Bearer"
    listed = (await owner.client.get("/v1/api-keys")).json()["items"]
    assert next(k for k in listed if k["id"] == created["id"])["revoked_at"] is not None


async def test_unknown_or_malformed_credentials_are_401(api: Any) -> None:
    for header in ("Bearer ck_test_" + "0" * 48, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"):
        resp = await api.client(authorization=header).get("/v1/me")
        assert resp.status_code == 401, header
        assert resp.json()["error"]["code"] in ("invalid_api_key", "invalid_authorization")


async def test_no_key_above_the_creators_role(api: Any) -> None:
    _owner, manager = await api.team("manager")
    resp = await manager.client.post("/v1/api-keys", json={"name": "up", "role": "admin"})
    assert resp.status_code == 403
    ok = await manager.client.post("/v1/api-keys", json={"name": "down", "role": "rep"})
    assert ok.status_code == 201 and ok.json()["role"] == "rep"


async def test_a_key_stops_working_when_its_creator_is_demoted_below_it(api: Any) -> None:
    owner, admin = await api.team("admin")
    key = await api.api_key(admin)
    assert (await api.bearer(key).get("/v1/members")).status_code == 200
    await owner.client.patch(f"/v1/members/{admin.user_id}", json={"role": "rep"})
    assert (await api.bearer(key).get("/v1/me")).status_code == 401


async def test_members_see_their_own_keys_admins_see_all(api: Any) -> None:
    owner, rep = await api.team("rep")
    owner_key = (await owner.client.post("/v1/api-keys", json={"name": "o"})).json()["id"]
    rep_key = (await rep.client.post("/v1/api-keys", json={"name": "r"})).json()["id"]
    assert {k["id"] for k in (await rep.client.get("/v1/api-keys")).json()["items"]} == {rep_key}
    assert {k["id"] for k in (await owner.client.get("/v1/api-keys")).json()["items"]} >= {
        owner_key,
        rep_key,
    }
    # a rep cannot revoke someone else's key: it does not exist for them
    assert (await rep.client.delete(f"/v1/api-keys/{owner_key}")).status_code == 404
    assert (await owner.client.delete(f"/v1/api-keys/{rep_key}")).status_code == 204


async def test_reads_with_a_key_write_last_used_at_at_most_once_a_minute(api: Any) -> None:
    """A read with a key is not a write per request: ``last_used_at`` moves once a minute."""
    owner = await api.signup()
    created = (await owner.client.post("/v1/api-keys", json={"name": "poller"})).json()
    client = api.bearer(created["key"])

    async def last_used() -> Any:
        listed = (await owner.client.get("/v1/api-keys")).json()["items"]
        return next(k for k in listed if k["id"] == created["id"])["last_used_at"]

    assert await last_used() is None
    assert (await client.get("/v1/me")).status_code == 200
    first = await last_used()
    assert first is not None
    for _ in range(3):
        assert (await client.get("/v1/me")).status_code == 200
    assert await last_used() == first, "reads within the minute wrote nothing"

    async with api.app.state.gateway.db.session() as session:  # a minute passes
        key = await session.get(ApiKey, created["id"])
        assert key is not None and key.last_used_at is not None
        key.last_used_at = as_utc(key.last_used_at) - LAST_USED_GRANULARITY
    assert (await client.get("/v1/me")).status_code == 200
    assert await last_used() > first


async def test_a_flush_writes_the_uses_of_many_keys_in_one_statement(api: Any) -> None:
    """``last_used_at`` of every key used since the last flush moves in one UPDATE
    (executed as one batch), not one per key; a key used within the minute keeps its time."""
    owner = await api.signup()
    ids = [
        (await owner.client.post("/v1/api-keys", json={"name": f"k{n}"})).json()["id"]
        for n in range(25)
    ]
    gw = api.app.state.gateway
    now = utcnow()
    recent = now - LAST_USED_GRANULARITY / 2
    async with gw.db.session() as session:
        key = await session.get(ApiKey, ids[0])
        assert key is not None
        key.last_used_at = recent
    for key_id in ids:
        gw.usage.key_used(key_id, now)
    updates: list[tuple[str, bool]] = []

    def seen(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append((statement, many))

    engine = gw.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await gw.usage.flush()
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert len(updates) == 1, f"{len(updates)} UPDATE statements for {len(ids)} keys"
    async with gw.db.session() as session:
        rows = (await session.execute(select(ApiKey).where(col(ApiKey.id).in_(ids)))).scalars()
        used = {r.id: as_utc(r.last_used_at) for r in rows if r.last_used_at is not None}
    assert used == {ids[0]: recent} | {key_id: now for key_id in ids[1:]}


async def test_a_revoked_key_stops_here_at_once_and_on_other_replicas_within_the_cache_time(
    api: Any, make_api: Any
) -> None:
    """Keys that authenticated are cached (``api_key_cache_seconds``): the replica that
    revokes forgets them at once; another replica asks the database again within the bound."""
    owner = await api.signup()
    created = (await owner.client.post("/v1/api-keys", json={"name": "poller"})).json()
    other = await make_api()  # a second gateway replica on the same database
    now = [0.0]
    cache = other.app.state.gateway.api_keys
    cache.clock = lambda: now[0]
    here, there = api.bearer(created["key"]), other.bearer(created["key"])
    assert (await here.get("/v1/me")).status_code == 200
    assert (await there.get("/v1/me")).status_code == 200

    assert (await owner.client.delete(f"/v1/api-keys/{created['id']}")).status_code == 204
    assert (await here.get("/v1/me")).status_code == 401, "the revoking replica: at once"
    assert (await there.get("/v1/me")).status_code == 200, "the other: from its cache, for now"
    now[0] += cache.ttl_seconds
    assert (await there.get("/v1/me")).status_code == 401, "…and no longer than the bound"


async def test_a_demoted_users_key_is_refused_at_once_by_the_replica_that_demoted(
    api: Any,
) -> None:
    owner, admin = await api.team("admin")
    key = await api.api_key(admin, role="admin")
    assert (await api.bearer(key).get("/v1/members")).status_code == 200  # cached now
    resp = await owner.client.patch(f"/v1/members/{admin.user_id}", json={"role": "rep"})
    assert resp.status_code == 200, resp.text
    assert (await api.bearer(key).get("/v1/members")).status_code == 401


async def test_requests_with_a_key_during_its_lookup_share_that_one_lookup(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key's cache entry expires under many readers: one database lookup, not one each.
    (Eight readers here: each request holds a database connection, and the test database
    serves every test worker at once.)"""
    from gateway.entrypoints import deps
    from gateway.service_layer import auth

    owner = await api.signup()
    key = await api.api_key(owner)
    arrived, looked_up, release = [0], [0], asyncio.Event()
    find, principal_of = auth._api_key_principal, deps.principal_from_api_key

    async def held_find(*args: Any) -> Any:
        looked_up[0] += 1
        await release.wait()
        return await find(*args)

    async def counted(*args: Any) -> Any:
        arrived[0] += 1
        return await principal_of(*args)

    monkeypatch.setattr(auth, "_api_key_principal", held_find)
    monkeypatch.setattr(deps, "principal_from_api_key", counted)
    client = api.bearer(key)
    readers = [asyncio.create_task(client.get("/v1/me")) for _ in range(8)]
    await wait_until(lambda: arrived[0] == 8, timeout=20, every=0.01)
    for _ in range(5):
        await asyncio.sleep(0)
    release.set()
    assert {r.status_code for r in await asyncio.gather(*readers)} == {200}
    assert looked_up[0] == 1
