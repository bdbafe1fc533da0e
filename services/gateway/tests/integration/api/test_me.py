"""/v1/me: read and change your own account."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery staple"


async def test_me_shows_the_user_and_organization(api: Any) -> None:
    owner = await api.signup(organization="Widgets Ltd")
    me = (await owner.client.get("/v1/me")).json()
    assert me["id"] == owner.user_id and me["email"] == owner.email and me["role"] == "owner"
    assert me["organization"] == {
        "id": owner.org_id,
        "name": "Widgets Ltd",
        "deletion_requested_at": None,
    }


async def test_name_changes_without_a_password(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.patch("/v1/me", json={"name": "  Grace   Hopper "})
    assert resp.status_code == 200 and resp.json()["name"] == "Grace Hopper"


async def test_email_change_needs_the_current_password(api: Any) -> None:
    owner = await api.signup()
    new = f"new-{owner.user_id[:8]}@example.com"
    missing = await owner.client.patch("/v1/me", json={"email": new})
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "current_password_required"
    wrong = await owner.client.patch("/v1/me", json={"email": new, "current_password": "nope"})
    assert wrong.status_code == 403
    ok = await owner.client.patch("/v1/me", json={"email": new, "current_password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["email"] == new
    login = await api.client().post("/v1/auth/login", json={"email": new, "password": PASSWORD})
    assert login.status_code == 200


async def test_emails_stay_unique(api: Any) -> None:
    alice = await api.signup()
    bob = await api.signup()
    resp = await bob.client.patch(
        "/v1/me", json={"email": alice.email.upper(), "current_password": PASSWORD}
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "email_taken"


async def test_password_change_ends_other_sessions_but_not_this_one(api: Any) -> None:
    owner = await api.signup()
    other = api.client()
    await other.post("/v1/auth/login", json={"email": owner.email, "password": PASSWORD})
    assert (await other.get("/v1/me")).status_code == 200
    new_password = "an even better passphrase"
    resp = await owner.client.patch(
        "/v1/me", json={"password": new_password, "current_password": PASSWORD}
    )
    assert resp.status_code == 200
    assert (await owner.client.get("/v1/me")).status_code == 200
    assert (await other.get("/v1/me")).status_code == 401
    old = await api.client().post(
        "/v1/auth/login", json={"email": owner.email, "password": PASSWORD}
    )
    assert old.status_code == 401
    new = await api.client().post(
        "/v1/auth/login", json={"email": owner.email, "password": new_password}
    )
    assert new.status_code == 200


async def test_unknown_fields_are_422_not_silently_ignored(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.patch("/v1/me", json={"role": "owner"})
    assert resp.status_code == 422
