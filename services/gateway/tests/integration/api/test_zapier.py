"""/v1/zapier: Zapier's REST hooks with an API key, forwarded to integrations."""

from __future__ import annotations

from typing import Any


async def test_a_zapier_app_tests_its_key_subscribes_samples_and_unsubscribes(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    zapier = api.bearer(await api.api_key(owner))
    me = await zapier.get("/v1/zapier/me")
    assert me.status_code == 200 and me.json()["org_id"] == owner.org_id
    hook = await zapier.post(
        "/v1/zapier/hooks", json={"hookUrl": "https://hooks.zapier.com/1/2", "event": "call.scored"}
    )
    assert hook.status_code == 201, hook.text
    forwarded = fake_state.seen_at("POST", "/internal/zapier/hooks")[-1]
    assert forwarded.identity.org_id == owner.org_id
    sample = await zapier.get("/v1/zapier/samples/call.scored")
    assert sample.status_code == 200 and isinstance(sample.json(), list)
    gone = await zapier.delete(f"/v1/zapier/hooks/{hook.json()['id']}")
    assert gone.status_code == 204


async def test_a_rep_key_and_a_bad_event_are_refused(api: Any) -> None:
    owner, rep = await api.team("rep")
    rep_key = api.bearer(await api.api_key(rep))
    assert (await rep_key.get("/v1/zapier/me")).status_code == 403
    zapier = api.bearer(await api.api_key(owner))
    bad = await zapier.post(
        "/v1/zapier/hooks", json={"hookUrl": "https://hooks.zapier.com/1", "event": "call.nope"}
    )
    assert bad.status_code == 422
    assert (await zapier.get("/v1/zapier/samples/call.nope")).status_code == 422
