"""Who may read which transcript inside an organization (the same rule as the calls).

Tenant isolation is the repository's job (every query is scoped by org); this adds
the rule inside one organization: a rep reads transcripts of the calls they uploaded,
a manager theirs and their team's, owners, admins, compliance and the system all.
"""

from __future__ import annotations

from clashtor_common.identity import Identity

ORG_WIDE_ROLES = frozenset({"owner", "admin", "compliance", "system"})


def can_read(identity: Identity, uploader_id: str) -> bool:
    if identity.role in ORG_WIDE_ROLES:
        return True
    if identity.role == "manager":
        return uploader_id in {identity.user_id, *identity.team_user_ids}
    return uploader_id == identity.user_id
