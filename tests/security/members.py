"""People of one organization as the attack tests need them: an owner, and members
with their own API keys (invited by the owner, each accepting their invitation)."""

from __future__ import annotations

import uuid

from ..e2e.client import Clashtor

PASSWORD = "correct horse battery staple 42"


def member(owner: Clashtor, base_url: str, role: str) -> Clashtor:
    """A new member of ``owner``'s organization with ``role``, holding an API key."""
    invited = owner.http.post(
        "/v1/invitations",
        headers=owner.bearer,
        json={"email": f"{role}-{uuid.uuid4().hex[:8]}@seller.example", "role": role},
    )
    assert invited.status_code == 201, invited.text
    person = Clashtor(base_url)
    accepted = person.http.post(
        f"/v1/invitations/{invited.json()['token']}/accept",
        json={"name": f"{role.title()} {uuid.uuid4().hex[:4]}", "password": PASSWORD},
    )
    assert accepted.status_code == 201, accepted.text
    key = person.http.post(
        "/v1/api-keys",
        json={"name": "sec"},
        headers={"X-CSRF-Token": accepted.json()["csrf_token"]},
    )
    assert key.status_code == 201, key.text
    person.key = key.json()["key"]
    return person
