"""/v1/webhooks forwarded to integrations: admins and owners only, typed, scoped."""

from __future__ import annotations

from typing import Any


async def test_an_owner_subscribes_lists_rotates_and_unsubscribes(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    created = await owner.client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/in", "event_types": ["call.scored"]},
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["event_types"] == ["call.scored"]
    forwarded = fake_state.seen_at("POST", "/internal/webhooks")[-1]
    assert forwarded.identity.org_id == owner.org_id

    listed = (await owner.client.get("/v1/webhooks", params={"limit": 10})).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0] and listed["next_cursor"] is None
    paused = await owner.client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": False})
    assert paused.status_code == 200 and paused.json()["enabled"] is False
    rotated = await owner.client.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
    assert rotated.json()["secret"] != hook["secret"]
    log = await owner.client.get(f"/v1/webhooks/{hook['id']}/deliveries")
    assert log.json() == {"items": [], "next_cursor": None}
    assert (await owner.client.delete(f"/v1/webhooks/{hook['id']}")).status_code == 204
    assert (await owner.client.get(f"/v1/webhooks/{hook['id']}")).status_code == 404


async def test_a_private_target_is_refused_with_the_reason(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post(
        "/v1/webhooks",
        json={"url": "http://169.254.169.254/latest", "event_types": ["call.failed"]},
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "target_refused"


async def test_bad_input_is_refused_before_it_leaves_the_gateway(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    before = len(fake_state.seen_at("POST", "/internal/webhooks"))
    for body in (
        {"url": "https://hooks.example.com/in", "event_types": ["call.deleted"]},
        {"url": "https://hooks.example.com/in", "event_types": []},
        {"url": "https://hooks.example.com/in", "event_types": ["call.scored"], "secret": "x"},
        {"event_types": ["call.scored"]},
    ):
        assert (await owner.client.post("/v1/webhooks", json=body)).status_code == 422, body
    assert len(fake_state.seen_at("POST", "/internal/webhooks")) == before


async def test_reps_and_other_organizations_reach_no_webhook(api: Any) -> None:
    owner = await api.signup()
    hook = (
        await owner.client.post(
            "/v1/webhooks",
            json={"url": "https://hooks.example.com/in", "event_types": ["call.scored"]},
        )
    ).json()
    rep = await api.invite(owner, "rep")
    assert (await rep.client.get("/v1/webhooks")).status_code == 403
    stranger = await api.signup()
    for method, path in (
        ("GET", f"/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("POST", f"/v1/webhooks/{hook['id']}/rotate-secret"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/v1/webhooks/{hook['id']}/deliveries/msg_1/redeliver"),
    ):
        assert (await stranger.client.request(method, path)).status_code == 404, path
