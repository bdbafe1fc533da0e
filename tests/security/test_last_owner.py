"""Hole 2: a rep-role API key made by the owner erased the owner, leaving an admin
who could neither become owner nor delete or restore the account. No path may leave
an organization without an owner: 409 ``last_owner``."""

from __future__ import annotations

from ..e2e.stack import Stack
from .actors import Browser


def test_no_path_erases_or_removes_the_last_owner(stack: Stack) -> None:
    owner = Browser(stack.gateway).signup()
    admin = owner.member("admin")
    me = {"type": "user", "id": owner.id}

    rep_key = owner.api_key("rep")
    resp = owner.http.post(
        "/v1/privacy/erasure",
        json={"subject": me},
        headers={"Authorization": f"Bearer {rep_key}"},
    )
    assert resp.status_code == 409, resp.text
    assert resp.json()["error"]["code"] == "last_owner"

    for who, subject in (
        (owner, me),
        (admin, me),
        (admin, {"type": "user", "email": owner.email}),
        (admin, {"type": "participant", "email": owner.email}),
    ):
        resp = who.privacy("erasure", subject)
        assert resp.status_code == 409, (subject, resp.text)
        assert resp.json()["error"]["code"] == "last_owner"

    demote = owner.send("PATCH", f"/v1/members/{owner.id}", json={"role": "admin"})
    assert demote.status_code == 409 and demote.json()["error"]["code"] == "last_owner"
    remove = owner.send("DELETE", f"/v1/members/{owner.id}")
    assert remove.status_code == 409 and remove.json()["error"]["code"] == "last_owner"

    members = owner.http.get("/v1/members").json()["items"]
    assert [m["role"] for m in members if m["id"] == owner.id] == ["owner"]

    # With a second owner, the first may go.
    promoted = owner.send("PATCH", f"/v1/members/{admin.id}", json={"role": "owner"})
    assert promoted.status_code == 200, promoted.text
    assert owner.privacy("erasure", me).status_code == 202
