"""/v1/admin/usage: server-side usage analytics, ids and route templates only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from clashtor_common.events import Subject, SubjectRestricted, Topic, make_event
from gateway.adapters.tables import UsageEvent


async def _rows(api: Any, org_id: str) -> list[UsageEvent]:
    await api.app.state.gateway.usage.flush()  # rows wait in memory for their batch
    async with api.app.state.gateway.db.session() as session:
        result = await session.execute(select(UsageEvent).where(UsageEvent.org_id == org_id))
        return list(result.scalars())


async def test_each_authenticated_request_is_one_row_with_the_route_template(
    api: Any, fake_state: Any
) -> None:
    owner, rep = await api.team("rep")
    call = fake_state.add_call(owner.org_id, rep.user_id)
    await rep.client.get(f"/v1/calls/{call['id']}")
    await rep.client.get("/v1/calls/does-not-exist")
    await rep.client.get("/v1/members")  # 403
    rows = await _rows(api, owner.org_id)
    rep_rows = [(r.method, r.route, r.status, r.via) for r in rows if r.user_id == rep.user_id]
    assert ("GET", "/v1/calls/{call_id}", 200, "session") in rep_rows
    assert ("GET", "/v1/calls/{call_id}", 404, "session") in rep_rows
    assert ("GET", "/v1/members", 403, "session") in rep_rows
    assert all(call["id"] not in r.route for r in rows)


async def test_admin_summary_counts_features_users_and_errors(api: Any) -> None:
    owner, rep = await api.team("rep")
    for _ in range(3):
        await rep.client.get("/v1/me")
    await rep.client.get("/v1/members")
    resp = await owner.client.get("/v1/admin/usage", params={"days": 7})
    assert resp.status_code == 200
    summary = resp.json()
    assert summary["org_id"] == owner.org_id and summary["days"] == 7
    features = {f["feature"]: f for f in summary["features"]}
    assert features["GET /v1/me"]["requests"] >= 3
    assert features["GET /v1/members"]["errors"] == 1
    assert summary["active_users"] >= 2
    assert {"user_id": rep.user_id, "requests": 4} in summary["users"]
    assert (await rep.client.get("/v1/admin/usage")).status_code == 403


async def test_unauthenticated_requests_and_other_orgs_are_not_counted(api: Any) -> None:
    owner = await api.signup()
    other = await api.signup()
    await owner.client.get("/v1/me")
    await api.client().get("/v1/me")
    await other.client.get("/v1/me")
    summary = (await owner.client.get("/v1/admin/usage")).json()
    assert {u["user_id"] for u in summary["users"]} == {owner.user_id}


async def test_users_who_objected_are_left_out(api: Any) -> None:
    owner, rep = await api.team("rep")
    await rep.client.get("/v1/me")
    consumer = next(
        c for c in api.app.state.runtime.consumers if c.topic == Topic.SUBJECT_RESTRICTED.value
    )
    await consumer.apply(
        make_event(
            SubjectRestricted(
                request_id="r1", subject=Subject(type="user", id=rep.user_id), objected=True
            ),
            source="privacy",
            org_id=owner.org_id,
        )
    )
    await rep.client.get("/v1/me")
    await rep.client.get("/v1/notifications")
    rows = await _rows(api, owner.org_id)
    assert not [r for r in rows if r.user_id == rep.user_id]  # past rows pseudonymized too
    assert any(r.user_id is None for r in rows)


async def test_reads_write_no_usage_row_until_their_batch_is_written(api: Any) -> None:
    """Usage rows wait in memory and are written together (``usage_flush_seconds``)."""
    owner = await api.signup()
    client = api.bearer(await api.api_key(owner))
    gw = api.app.state.gateway
    await gw.usage.flush()

    async def written() -> int:
        async with gw.db.session() as session:
            rows = await session.execute(
                select(UsageEvent).where(UsageEvent.org_id == owner.org_id)
            )
            return len(rows.scalars().all())

    before = await written()
    for _ in range(5):
        assert (await client.get("/v1/me")).status_code == 200
    assert await written() == before, "nothing written on the read path"
    assert gw.usage.waiting >= 5
    await gw.usage.flush()
    assert await written() == before + 5
    assert gw.usage.waiting == 0
