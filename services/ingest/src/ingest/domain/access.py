"""Who sees which calls inside an organization (tenant isolation is the repository's job)."""

from __future__ import annotations

from clashtor_common.identity import Identity

#: Roles that see every call of their organization.
ORG_WIDE_ROLES = frozenset({"owner", "admin", "compliance", "system"})
#: Roles that may correct participants' personal data (rectification).
RECTIFY_ROLES = frozenset({"owner", "admin", "compliance", "system"})


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
