"""Who may see and change what inside an organization (tenant isolation is the repository's).

The gateway checks the action first; this is the service's own check of the same rules,
so a gateway bug cannot widen them.
"""

from __future__ import annotations

from clashtor_common.identity import (  # noqa: F401 - the shared rule, re-exported
    ORG_WIDE_ROLES,
    Identity,
    can_see,
    visible_uploaders,
)

#: Roles that may edit trackers and scorecards.
COACHING_MANAGERS = frozenset({"owner", "admin", "manager", "system"})
#: Roles that may correct who is the rep and who the customer on a call they can see.
ROLE_CORRECTORS = frozenset({"owner", "admin", "manager", "rep", "system"})


def can_manage_coaching(identity: Identity) -> bool:
    return identity.role in COACHING_MANAGERS


def can_correct_roles(identity: Identity) -> bool:
    return identity.role in ROLE_CORRECTORS
