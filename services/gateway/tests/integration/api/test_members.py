"""/v1/members: listing, role changes, teams, removal."""

from __future__ import annotations

from typing import Any


async def test_members_are_listed_for_owners_admins_and_managers(api: Any) -> None:
    owner, manager, rep = await api.team("manager", "rep")
    listed = await manager.client.get("/v1/members")
    assert listed.status_code == 200
    assert {m["id"] for m in listed.json()["items"]} == {
        owner.user_id,
        manager.user_id,
        rep.user_id,
    }
    assert (await rep.client.get("/v1/members")).status_code == 403


async def test_owner_changes_a_role_and_it_applies_to_the_next_request(api: Any) -> None:
    owner, rep = await api.team("rep")
    assert (await rep.client.get("/v1/members")).status_code == 403
    resp = await owner.client.patch(f"/v1/members/{rep.user_id}", json={"role": "manager"})
    assert resp.status_code == 200
    assert resp.json()["role"] == "manager"
    assert (await rep.client.get("/v1/members")).status_code == 200


async def test_rep_trying_an_admin_action_is_403(api: Any) -> None:
    _owner, rep = await api.team("rep")
    resp = await rep.client.patch(f"/v1/members/{rep.user_id}", json={"role": "admin"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"


async def test_admin_cannot_grant_owner_nor_touch_an_owner(api: Any) -> None:
    owner, admin, rep = await api.team("admin", "rep")
    grant = await admin.client.patch(f"/v1/members/{rep.user_id}", json={"role": "owner"})
    assert grant.status_code == 403
    demote = await admin.client.patch(f"/v1/members/{owner.user_id}", json={"role": "rep"})
    assert demote.status_code == 403
    remove = await admin.client.delete(f"/v1/members/{owner.user_id}")
    assert remove.status_code == 403


async def test_the_last_owner_can_be_neither_demoted_nor_removed(api: Any) -> None:
    owner = await api.signup()
    demote = await owner.client.patch(f"/v1/members/{owner.user_id}", json={"role": "admin"})
    assert demote.status_code == 409
    assert demote.json()["error"]["code"] == "last_owner"
    remove = await owner.client.delete(f"/v1/members/{owner.user_id}")
    assert remove.status_code == 409
    second = await api.invite(owner, "owner")
    ok = await owner.client.patch(f"/v1/members/{second.user_id}", json={"role": "admin"})
    assert ok.status_code == 200


async def test_removed_member_loses_sessions_and_api_keys(api: Any) -> None:
    owner, rep = await api.team("rep")
    key = await api.api_key(rep)
    assert (await api.bearer(key).get("/v1/me")).status_code == 200
    resp = await owner.client.delete(f"/v1/members/{rep.user_id}")
    assert resp.status_code == 204
    assert (await rep.client.get("/v1/me")).status_code == 401
    assert (await api.bearer(key).get("/v1/me")).status_code == 401
    listed = await owner.client.get("/v1/members")
    assert rep.user_id not in {m["id"] for m in listed.json()["items"]}


async def test_manager_team_is_carried_in_the_identity(api: Any, fake_state: Any) -> None:
    owner, manager, rep, other_rep = await api.team("manager", "rep", "rep")
    resp = await owner.client.put(
        f"/v1/members/{rep.user_id}/manager", json={"manager_id": manager.user_id}
    )
    assert resp.status_code == 200
    assert resp.json()["manager_id"] == manager.user_id
    me = (await manager.client.get("/v1/me")).json()
    assert me["team_user_ids"] == [rep.user_id]

    mine = fake_state.add_call(owner.org_id, rep.user_id)
    theirs = fake_state.add_call(owner.org_id, other_rep.user_id)
    listed = await manager.client.get("/v1/calls")
    ids = {c["id"] for c in listed.json()["items"]}
    assert mine["id"] in ids and theirs["id"] not in ids
    identity = [s.identity for s in fake_state.seen if s.path == "/internal/calls"][-1]
    assert identity.user_id == manager.user_id and identity.team_user_ids == (rep.user_id,)

    off = await owner.client.put(f"/v1/members/{rep.user_id}/manager", json={"manager_id": None})
    assert off.json()["manager_id"] is None
    assert (await manager.client.get("/v1/me")).json()["team_user_ids"] == []


async def test_only_a_manager_can_lead_a_team(api: Any) -> None:
    owner, rep, other = await api.team("rep", "rep")
    resp = await owner.client.put(
        f"/v1/members/{rep.user_id}/manager", json={"manager_id": other.user_id}
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_manager"


async def test_unknown_role_is_422(api: Any) -> None:
    owner, rep = await api.team("rep")
    resp = await owner.client.patch(f"/v1/members/{rep.user_id}", json={"role": "emperor"})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_error"
