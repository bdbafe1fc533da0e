"""Who may read which transcript inside an organization (the same rule as the calls).

Tenant isolation is the repository's job (every query is scoped by org); this adds
the rule inside one organization: a rep reads transcripts of the calls they uploaded,
a manager theirs and their team's, owners, admins, compliance and the system all.
"""

from __future__ import annotations

from clashtor_common.identity import Identity, can_see


def can_read(identity: Identity, uploader_id: str) -> bool:
    return can_see(identity, uploader_id)
