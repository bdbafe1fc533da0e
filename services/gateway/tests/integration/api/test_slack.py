"""/v1/integrations/slack forwarded to integrations: admins and owners, token write-only."""

from __future__ import annotations

from typing import Any


async def test_an_owner_connects_slack_and_manages_rules(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    before = await owner.client.get("/v1/integrations/slack/connection")
    assert before.status_code == 200, before.text
    assert before.json()["connected"] is False
    connected = await owner.client.put(
        "/v1/integrations/slack/connection", json={"bot_token": "xoxb-1234567890"}
    )
    assert connected.status_code == 204
    assert fake_state.slack_tokens[owner.org_id] == "xoxb-1234567890"
    status = (await owner.client.get("/v1/integrations/slack/connection")).json()
    assert status["connected"] is True and "xoxb" not in str(status)
    created = await owner.client.post(
        "/v1/integrations/slack/rules",
        json={"kind": "score_below", "threshold": 50, "channel": "#sales"},
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    listed = (await owner.client.get("/v1/integrations/slack/rules")).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    gone = await owner.client.delete(f"/v1/integrations/slack/rules/{rule['id']}")
    assert gone.status_code == 204
    assert (await owner.client.delete("/v1/integrations/slack/connection")).status_code == 204


async def test_bad_rules_and_tokens_are_refused_and_reps_kept_out(api: Any) -> None:
    owner = await api.signup()
    for body in (
        {"kind": "score_above", "threshold": 5, "channel": "#x"},
        {"kind": "score_below", "threshold": 500, "channel": "#x"},
        {"kind": "call_failed", "channel": ""},
    ):
        resp = await owner.client.post("/v1/integrations/slack/rules", json=body)
        assert resp.status_code == 422, body
    token = await owner.client.put(
        "/v1/integrations/slack/connection", json={"bot_token": "password123"}
    )
    assert token.status_code == 422
    rep = await api.invite(owner, "rep")
    assert (await rep.client.get("/v1/integrations/slack/rules")).status_code == 403
    assert (await rep.client.get("/v1/integrations/slack/connection")).status_code == 403
