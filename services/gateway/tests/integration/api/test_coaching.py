"""/v1/scorecards and /v1/trackers forwarded to score."""

from __future__ import annotations

from typing import Any

import pytest

ITEM = {"key": "pain", "question": "Pain?", "cues": [{"type": "phrase", "phrases": ["costs us"]}]}
NEW = {
    "scorecards": {"name": "Discovery", "items": [ITEM]},
    "trackers": {"name": "Discovery", "phrases": ["discovery call"]},
}


@pytest.mark.parametrize("resource", ["scorecards", "trackers"])
async def test_crud_is_forwarded_and_managed_by_managers(api: Any, resource: str) -> None:
    _owner, manager, rep = await api.team("manager", "rep")
    created = await manager.client.post(f"/v1/{resource}", json=NEW[resource])
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    assert (await rep.client.get(f"/v1/{resource}/{item_id}")).json()["name"] == "Discovery"
    assert (await rep.client.post(f"/v1/{resource}", json=NEW[resource])).status_code == 403
    replaced = await manager.client.put(f"/v1/{resource}/{item_id}", json={"name": "Closing"})
    assert replaced.json()["name"] == "Closing"
    listed = await rep.client.get(f"/v1/{resource}")
    assert [i["id"] for i in listed.json()["items"]] == [item_id]
    assert (await manager.client.delete(f"/v1/{resource}/{item_id}")).status_code == 204
    assert (await rep.client.get(f"/v1/{resource}/{item_id}")).status_code == 404


async def test_a_scorecard_edit_passes_on_the_rescore_request(api: Any) -> None:
    owner = await api.signup()
    card = (await owner.client.post("/v1/scorecards", json=NEW["scorecards"])).json()
    plain = await owner.client.put(f"/v1/scorecards/{card['id']}", json={"name": "A"})
    asked = await owner.client.put(f"/v1/scorecards/{card['id']}?rescore=true", json={"name": "B"})
    assert plain.json()["rescore"] is None
    assert asked.json()["rescore"]["status"] == "running", asked.text


@pytest.mark.parametrize(
    ("resource", "body", "field"),
    [
        ("trackers", {"name": "No phrases"}, "phrases"),
        ("trackers", {"name": "x", "phrases": ["?!"]}, "phrases.0"),
        ("trackers", {"name": "x", "phrases": ["a"], "said_by": "boss"}, "said_by"),
        ("scorecards", {"name": "Neither a template nor items"}, ""),
        ("scorecards", {"template": "spin"}, "template"),
        ("scorecards", {"items": [{**ITEM, "key": "Not A Slug"}]}, "items.0.key"),
        ("scorecards", {"items": [{**ITEM, "cues": [{"type": "vibe"}]}]}, "items.0.cues.0"),
    ],
)
async def test_a_body_score_would_refuse_is_refused_here_per_field(
    api: Any, resource: str, body: dict[str, Any], field: str
) -> None:
    """The bodies are typed (the OpenAPI says what score accepts), so a wrong one is a
    422 naming its field before anything is forwarded."""
    owner = await api.signup()
    resp = await owner.client.post(f"/v1/{resource}", json=body)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json()["error"]["errors"]], resp.json()


async def test_lists_forward_limit_and_cursor_and_pass_a_refused_cursor_on(
    api: Any, forged_cursor: str
) -> None:
    owner = await api.signup()
    for n in range(3):
        made = await owner.client.post("/v1/trackers", json={"name": f"t{n}", "phrases": ["x"]})
        assert made.status_code == 201, made.text
    first = (await owner.client.get("/v1/trackers", params={"limit": 2})).json()
    rest = (
        await owner.client.get("/v1/trackers", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [t["name"] for t in first["items"] + rest["items"]] == ["t0", "t1", "t2"]
    assert rest["next_cursor"] is None
    forged = await owner.client.get("/v1/scorecards", params={"cursor": forged_cursor})
    assert forged.status_code == 422
    assert forged.json()["error"]["errors"][0]["field"] == "cursor"


async def test_a_body_that_is_not_an_object_is_422(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/trackers", json=["not", "an", "object"])
    assert resp.status_code == 422
