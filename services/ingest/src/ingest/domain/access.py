"""Who sees which calls inside an organization (tenant isolation is the repository's job)."""

from __future__ import annotations

from clashtor_common.identity import (  # noqa: F401 - the shared rule, re-exported
    ORG_WIDE_ROLES,
    Identity,
    can_see,
    visible_uploaders,
)

#: Roles that may correct participants' personal data (rectification).
RECTIFY_ROLES = frozenset({"owner", "admin", "compliance", "system"})
