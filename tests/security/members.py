"""People of one organization as the attack tests need them: an owner, and members
with their own API keys (invited by the owner, each accepting their invitation)."""

from __future__ import annotations

import uuid

from ..e2e.client import Clashtor


def member(owner: Clashtor, base_url: str, role: str) -> Clashtor:
    """A new member of ``owner``'s organization with ``role``, holding an API key."""
    token, _ = owner.invite(role)
    person = Clashtor(base_url)
    person.accept(token, name=f"{role.title()} {uuid.uuid4().hex[:4]}")
    return person
