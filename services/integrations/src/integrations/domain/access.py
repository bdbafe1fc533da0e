"""Who may manage an organization's integrations: its admins and owners."""

from __future__ import annotations

from clashtor_common.identity import Identity

MANAGING_ROLES = frozenset({"owner", "admin"})


def can_manage(identity: Identity) -> bool:
    return identity.role in MANAGING_ROLES
