"""/v1/me: read and change your own account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clashtor_common.db import utcnow
from gateway.adapters.tables import PendingRectification

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
    assert ok.status_code == 200
    assert ok.json()["email"] == owner.email and ok.json()["pending_email"] == new
    token = _confirmation_token(api, new)
    assert api.mailer.outbox[-1].to == owner.email  # the old address is told
    assert (await _confirm(api, token)).status_code == 204
    assert (await owner.client.get("/v1/me")).json()["email"] == new
    login = await api.client().post("/v1/auth/login", json={"email": new, "password": PASSWORD})
    assert login.status_code == 200
    again = await _confirm(api, token)
    assert again.status_code == 404 and again.json()["error"]["code"] == "confirmation_not_found"


def _confirmation_token(api: Any, to: str) -> str:
    [mail] = [m for m in api.mailer.outbox if m.to == to and m.kind == "email_confirmation"]
    return str(mail.link).rsplit("/", 1)[1]


async def _confirm(api: Any, token: str) -> Any:
    return await api.client().post("/v1/auth/email/confirm", json={"token": token})


async def test_an_unconfirmed_email_is_not_the_accounts(api: Any) -> None:
    owner = await api.signup()
    new = f"unproven-{owner.user_id[:8]}@example.com"
    resp = await owner.client.patch("/v1/me", json={"email": new, "current_password": PASSWORD})
    assert resp.status_code == 200
    login = await api.client().post("/v1/auth/login", json={"email": new, "password": PASSWORD})
    assert login.status_code == 401
    assert (await owner.client.get("/v1/me")).json()["email"] == owner.email


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


async def test_a_new_password_revokes_api_keys_unless_asked_to_keep_them(api: Any) -> None:
    owner = await api.signup()
    keys = []
    for _ in range(2):
        made = await owner.client.post("/v1/api-keys", json={"name": "ci"})
        assert made.status_code == 201
        keys.append(made.json()["key"])
    bearer = api.client()
    kept = await owner.client.patch(
        "/v1/me",
        json={
            "password": "first new passphrase",
            "current_password": PASSWORD,
            "keep_api_keys": True,
        },
    )
    assert kept.status_code == 200
    me = await bearer.get("/v1/me", headers={"Authorization": f"Bearer {keys[0]}"})
    assert me.status_code == 200
    changed = await owner.client.patch(
        "/v1/me",
        json={"password": "second new passphrase", "current_password": "first new passphrase"},
    )
    assert changed.status_code == 200
    for key in keys:
        gone = await bearer.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert gone.status_code == 401


async def test_unknown_fields_are_422_not_silently_ignored(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.patch("/v1/me", json={"role": "owner"})
    assert resp.status_code == 422


def _rectifications(fake_state: Any, user_id: str) -> list[dict[str, Any]]:
    return [
        r
        for r in fake_state.requests.values()
        if r["kind"] == "rectification" and r["requested_by"] == user_id
    ]


async def _pending(api: Any, user_id: str) -> PendingRectification | None:
    async with api.app.state.gateway.db.session() as session:
        return await session.get(PendingRectification, user_id)


async def test_a_new_name_or_email_is_passed_to_privacy_as_a_rectification(
    api: Any, fake_state: Any
) -> None:
    rep = await api.invite(await api.signup(), "rep", name="Ray Rep")
    resp = await rep.client.patch("/v1/me", json={"name": "Ray Repper"})
    assert resp.status_code == 200
    [named] = _rectifications(fake_state, rep.user_id)
    assert named["role"] == "system" and named["org_id"] == rep.org_id
    assert named["body"] == {
        "subject": {"type": "user", "id": rep.user_id, "email": rep.email},
        "changes": {"name": "Ray Repper"},
    }

    new = f"ray-{rep.user_id[:8]}@example.com"
    resp = await rep.client.patch(
        "/v1/me", json={"email": new.upper(), "name": "Ray Repper", "current_password": PASSWORD}
    )
    assert resp.status_code == 200
    assert len(_rectifications(fake_state, rep.user_id)) == 1  # nothing until confirmed
    assert (await _confirm(api, _confirmation_token(api, new))).status_code == 204
    _, emailed = _rectifications(fake_state, rep.user_id)
    # By the address others knew, with only what changed (the name did not).
    assert emailed["body"] == {
        "subject": {"type": "user", "id": rep.user_id, "email": rep.email},
        "changes": {"email": new},
    }
    assert await _pending(api, rep.user_id) is None


async def test_nothing_is_rectified_when_no_name_or_email_changes(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    same = await owner.client.patch("/v1/me", json={"name": "Olive Owner"})
    password = await owner.client.patch(
        "/v1/me", json={"password": "a brand new passphrase", "current_password": PASSWORD}
    )
    assert same.status_code == password.status_code == 200
    assert _rectifications(fake_state, owner.user_id) == []


async def test_a_rectification_privacy_cannot_take_now_is_kept_and_offered_again(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    fake_state.fail_next("POST", "/internal/rectification", status=503)
    resp = await owner.client.patch("/v1/me", json={"name": "Olive Later"})
    assert resp.status_code == 200 and resp.json()["name"] == "Olive Later"
    assert _rectifications(fake_state, owner.user_id) == []
    pending = await _pending(api, owner.user_id)
    assert pending is not None and pending.fields == ["name"] and pending.attempts == 1
    assert pending.last_error is not None and pending.last_error.startswith("503")

    # Another change before it went out: one rectification with the latest values.
    fake_state.fail_next("POST", "/internal/rectification", status=503)
    await owner.client.patch("/v1/me", json={"name": "Olive Latest"})
    rectifications = api.app.state.gateway.rectifications
    assert await rectifications.deliver_due() == 0  # not due yet: backing off
    far = utcnow() + timedelta(days=1)
    assert await rectifications.deliver_due(now=far) == 1
    [sent] = _rectifications(fake_state, owner.user_id)
    assert sent["body"]["changes"] == {"name": "Olive Latest"}
    assert await _pending(api, owner.user_id) is None
    assert await rectifications.deliver_due(now=far) == 0


async def test_a_pending_rectification_goes_with_its_user(api: Any, fake_state: Any) -> None:
    owner, rep = await api.team("rep")
    fake_state.fail_next("POST", "/internal/rectification", status=503)
    await rep.client.patch("/v1/me", json={"name": "Gone Soon"})
    assert await _pending(api, rep.user_id) is not None
    assert (await owner.client.delete(f"/v1/members/{rep.user_id}")).status_code == 204
    assert await _pending(api, rep.user_id) is None
    far = utcnow() + timedelta(days=1)
    assert await api.app.state.gateway.rectifications.deliver_due(now=far) == 0
    assert _rectifications(fake_state, rep.user_id) == []
