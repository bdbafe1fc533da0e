"""Hole 4: an admin invited an admin, was demoted to rep, and the invitation was still
accepted as admin. Accepting re-checks the inviter's right; demotion and removal
revoke what the inviter may no longer grant."""

from __future__ import annotations

from ..e2e.stack import Stack
from .actors import Browser


def test_an_invitation_dies_with_the_inviters_right(stack: Stack) -> None:
    owner = Browser(stack.gateway).signup()
    admin = owner.member("admin")
    as_admin = admin.invite("admin")
    as_rep = admin.invite("rep")
    assert as_admin.status_code == 201 and as_rep.status_code == 201

    demoted = owner.send("PATCH", f"/v1/members/{admin.id}", json={"role": "rep"})
    assert demoted.status_code == 200, demoted.text

    invitee = Browser(stack.gateway)
    resp = invitee.http.post(
        f"/v1/invitations/{as_admin.json()['token']}/accept",
        json={"name": "Ivy Invitee", "password": "correct horse battery staple 42"},
    )
    assert resp.status_code in (404, 409), resp.text
    roles = {m["email"]: m["role"] for m in owner.http.get("/v1/members").json()["items"]}
    assert as_admin.json()["email"] not in roles

    # A rep may still invite a rep: that invitation stands.
    rep = invitee.accept(as_rep.json()["token"], name="Rex Rep")
    assert rep.user["role"] == "rep"

    # A removed inviter's invitations go with them.
    other_admin = owner.member("admin")
    pending = other_admin.invite("manager")
    assert pending.status_code == 201
    assert owner.send("DELETE", f"/v1/members/{other_admin.id}").status_code == 204
    late = Browser(stack.gateway).http.post(
        f"/v1/invitations/{pending.json()['token']}/accept",
        json={"name": "Late Larry", "password": "correct horse battery staple 42"},
    )
    assert late.status_code in (404, 409), late.text
