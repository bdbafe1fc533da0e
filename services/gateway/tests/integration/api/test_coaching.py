"""/v1/scorecards and /v1/trackers forwarded to score."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("resource", ["scorecards", "trackers"])
async def test_crud_is_forwarded_and_managed_by_managers(api: Any, resource: str) -> None:
    owner = await api.signup()
    manager = await api.invite(owner, "manager")
    rep = await api.invite(owner, "rep")
    created = await manager.client.post(f"/v1/{resource}", json={"name": "Discovery"})
    assert created.status_code == 201
    item_id = created.json()["id"]
    assert (await rep.client.get(f"/v1/{resource}/{item_id}")).json()["name"] == "Discovery"
    assert (await rep.client.post(f"/v1/{resource}", json={"name": "x"})).status_code == 403
    replaced = await manager.client.put(f"/v1/{resource}/{item_id}", json={"name": "Closing"})
    assert replaced.json()["name"] == "Closing"
    listed = await rep.client.get(f"/v1/{resource}")
    assert [i["id"] for i in listed.json()["items"]] == [item_id]
    assert (await manager.client.delete(f"/v1/{resource}/{item_id}")).status_code == 204
    assert (await rep.client.get(f"/v1/{resource}/{item_id}")).status_code == 404


async def test_a_scorecard_edit_passes_on_the_rescore_request(api: Any) -> None:
    owner = await api.signup()
    card = (await owner.client.post("/v1/scorecards", json={"name": "Discovery"})).json()
    plain = await owner.client.put(f"/v1/scorecards/{card['id']}", json={"name": "A"})
    asked = await owner.client.put(f"/v1/scorecards/{card['id']}?rescore=true", json={"name": "B"})
    assert (plain.json()["rescore"], asked.json()["rescore"]) == (None, {"asked": True})


async def test_a_body_that_is_not_an_object_is_422(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/trackers", json=["not", "an", "object"])
    assert resp.status_code == 422
