"""Hole 1: a rep set their email to a customer's and then exported and erased other
reps' calls as "their own data". An address now counts only once its owner confirmed it
from the mailbox, "me" is a user id, and a rep reaches only participants of their calls."""

from __future__ import annotations

import re
from pathlib import Path

from ..e2e.stack import Stack
from .actors import PASSWORD, Browser, unique_email

CUSTOMER = "carla.customer@buyer.example"


def _link_token(body: str) -> str:
    match = re.search(r"/confirm-email/([A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def test_a_rep_cannot_take_a_customers_email_and_reach_other_reps_calls(
    stack: Stack, audio: Path, other_audio: Path
) -> None:
    owner = Browser(stack.gateway).signup()
    attacker, victim = owner.member("rep"), owner.member("rep")
    victims_call = victim.upload(
        audio,
        [
            {"name": "Vic Rep", "email": victim.email, "role": "rep"},
            {"name": "Carla", "email": CUSTOMER, "role": "customer"},
        ],
    )
    before = attacker.email

    # The attack: claim the customer's address...
    resp = attacker.send("PATCH", "/v1/me", json={"email": CUSTOMER, "current_password": PASSWORD})
    assert resp.status_code == 200, resp.text
    me = attacker.http.get("/v1/me").json()
    assert me["email"] == before, "an unconfirmed address must not become the account's"
    assert me["pending_email"] == CUSTOMER
    assert stack.mail is not None
    assert any("confirm" in m.subject.lower() for m in stack.mail.to(CUSTOMER))
    assert any("change" in m.subject.lower() for m in stack.mail.to(before))

    # ...then ask for "my" data under it: not the attacker's, so not allowed.
    customer = {"type": "participant", "email": CUSTOMER}
    export = attacker.privacy("export", customer)
    assert export.status_code == 403, export.text
    erasure = attacker.privacy("erasure", customer)
    assert erasure.status_code == 404, erasure.text  # not on any call the attacker sees
    by_email = attacker.privacy("export", {"type": "user", "email": CUSTOMER})
    assert by_email.status_code == 403, by_email.text

    # The victim's call is untouched and still names the customer.
    call = owner.http.get(f"/v1/calls/{victims_call}")
    assert call.status_code == 200, call.text
    assert CUSTOMER in {p.get("email") for p in call.json()["participants"]}

    # A rep may still act for a participant of their own call (not export it).
    mine = attacker.upload(
        other_audio, [{"name": "Dan", "email": "dan@buyer.example", "role": "customer"}]
    )
    assert mine
    restrict = attacker.privacy(
        "restriction", {"type": "participant", "email": "dan@buyer.example"}
    )
    assert restrict.status_code in (200, 202), restrict.text

    # An address the user does own changes once confirmed from its mailbox.
    fresh = unique_email("attacker-new")
    resp = attacker.send("PATCH", "/v1/me", json={"email": fresh, "current_password": PASSWORD})
    assert resp.status_code == 200, resp.text
    (mail,) = stack.mail.to(fresh)
    confirmed = Browser(stack.gateway).http.post(
        "/v1/auth/email/confirm", json={"token": _link_token(mail.body)}
    )
    assert confirmed.status_code == 204, confirmed.text
    assert attacker.http.get("/v1/me").json()["email"] == fresh
