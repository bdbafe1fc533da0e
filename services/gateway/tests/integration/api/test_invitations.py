"""/v1/invitations: invite by email with a role, accept once with a name and password."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery staple"


async def _invite(owner: Any, email: str, role: str = "rep") -> Any:
    return await owner.client.post("/v1/invitations", json={"email": email, "role": role})


async def test_invitation_token_is_shown_once_and_emailed(api: Any) -> None:
    owner = await api.signup()
    resp = await _invite(owner, "New.Rep@Example.com")
    assert resp.status_code == 201
    body = resp.json()
    assert body["email"] == "new.rep@example.com" and body["role"] == "rep"
    assert body["token"] in body["accept_url"]
    sent = api.mailer.sent[-1]
    assert sent["to"] == "new.rep@example.com" and sent["accept_url"] == body["accept_url"]
    pending = await owner.client.get("/v1/invitations")
    assert [i["id"] for i in pending.json()["items"]] == [body["id"]]
    assert "token" not in pending.json()["items"][0]


async def test_accepting_creates_the_member_signed_in_with_the_invited_role(api: Any) -> None:
    owner = await api.signup()
    email = f"cleo-{owner.user_id[:8]}@example.com"
    token = (await _invite(owner, email, "compliance")).json()["token"]
    client = api.client()
    resp = await client.post(
        f"/v1/invitations/{token}/accept", json={"name": "Cleo", "password": PASSWORD}
    )
    assert resp.status_code == 201
    user = resp.json()["user"]
    assert user["role"] == "compliance" and user["email"] == email
    assert user["organization"]["id"] == owner.org_id
    assert (await client.get("/v1/me")).json()["id"] == user["id"]
    again = await api.client().post(
        f"/v1/invitations/{token}/accept", json={"name": "Cleo", "password": PASSWORD}
    )
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "invitation_not_found"


async def test_revoked_invitation_cannot_be_accepted(api: Any) -> None:
    owner = await api.signup()
    body = (await _invite(owner, f"gone-{owner.user_id[:8]}@example.com")).json()
    assert (await owner.client.delete(f"/v1/invitations/{body['id']}")).status_code == 204
    resp = await api.client().post(
        f"/v1/invitations/{body['token']}/accept", json={"name": "X", "password": PASSWORD}
    )
    assert resp.status_code == 404


async def test_a_new_invitation_replaces_the_previous_one(api: Any) -> None:
    owner = await api.signup()
    email = f"twice-{owner.user_id[:8]}@example.com"
    first = (await _invite(owner, email)).json()["token"]
    second = (await _invite(owner, email, "manager")).json()["token"]
    old = await api.client().post(
        f"/v1/invitations/{first}/accept", json={"name": "T", "password": PASSWORD}
    )
    assert old.status_code == 404
    new = await api.client().post(
        f"/v1/invitations/{second}/accept", json={"name": "T", "password": PASSWORD}
    )
    assert new.status_code == 201 and new.json()["user"]["role"] == "manager"


async def test_inviting_an_existing_user_is_409(api: Any) -> None:
    owner = await api.signup()
    other = await api.signup()
    resp = await _invite(owner, other.email)
    assert resp.status_code == 409


async def test_nobody_invites_above_their_own_role(api: Any) -> None:
    owner, admin = await api.team("admin")
    resp = await _invite(admin, f"boss-{owner.user_id[:8]}@example.com", "owner")
    assert resp.status_code == 403
    rep = await api.invite(owner, "rep")
    assert (await _invite(rep, f"pal-{owner.user_id[:8]}@example.com")).status_code == 403


async def test_weak_password_on_accept_is_422_and_invitation_stays_valid(api: Any) -> None:
    owner = await api.signup()
    token = (await _invite(owner, f"weak-{owner.user_id[:8]}@example.com")).json()["token"]
    weak = await api.client().post(
        f"/v1/invitations/{token}/accept", json={"name": "W", "password": "123"}
    )
    assert weak.status_code == 422
    ok = await api.client().post(
        f"/v1/invitations/{token}/accept", json={"name": "W", "password": PASSWORD}
    )
    assert ok.status_code == 201


async def test_expired_invitation_is_404(make_api: Any) -> None:
    api = await make_api(invitation_ttl_seconds=0)
    owner = await api.signup()
    token = (await _invite(owner, f"late-{owner.user_id[:8]}@example.com")).json()["token"]
    resp = await api.client().post(
        f"/v1/invitations/{token}/accept", json={"name": "L", "password": PASSWORD}
    )
    assert resp.status_code == 404
