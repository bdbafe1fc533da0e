"""Who may see and change what inside an organization (tenant isolation is the repository's).

The gateway checks the action first; this is the service's own check of the same rules,
so a gateway bug cannot widen them.
"""

from __future__ import annotations

from clashtor_common.identity import Identity

#: Roles that see every call of their organization.
ORG_WIDE_ROLES = frozenset({"owner", "admin", "compliance", "system"})
#: Roles that may edit trackers and scorecards.
COACHING_MANAGERS = frozenset({"owner", "admin", "manager", "system"})
#: Roles that may correct who is the rep and who the customer on a call they can see.
ROLE_CORRECTORS = frozenset({"owner", "admin", "manager", "rep", "system"})


def visible_uploaders(identity: Identity) -> frozenset[str] | None:
    """Uploader ids whose calls ``identity`` may see; None means every call of the org.

    A rep sees their own calls, a manager theirs and their team's.
    """
    if identity.role in ORG_WIDE_ROLES:
        return None
    if identity.role == "manager":
        return frozenset({identity.user_id, *identity.team_user_ids})
    return frozenset({identity.user_id})


def can_see(identity: Identity, uploader_id: str) -> bool:
    allowed = visible_uploaders(identity)
    return allowed is None or uploader_id in allowed


def can_manage_coaching(identity: Identity) -> bool:
    return identity.role in COACHING_MANAGERS


def can_correct_roles(identity: Identity) -> bool:
    return identity.role in ROLE_CORRECTORS
