"""Who may do what: the one permission table of the product.

Every authenticated route names one ``Action``; the dependency ``require(action)`` in
``gateway.entrypoints.deps`` checks the caller's role against ``PERMISSIONS`` and
nothing else decides. Which *rows* a role sees (a rep's own calls, a manager's team)
is scoping, done by the owning service from the signed identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    COMPLIANCE = "compliance"


class Action(StrEnum):
    # own account
    PROFILE_READ = "profile.read"
    PROFILE_UPDATE = "profile.update"
    NOTIFICATIONS_READ = "notifications.read"
    API_KEYS_MANAGE_OWN = "api_keys.manage_own"
    API_KEYS_MANAGE_ALL = "api_keys.manage_all"
    # organization
    MEMBERS_READ = "members.read"
    MEMBERS_INVITE = "members.invite"
    MEMBERS_UPDATE_ROLE = "members.update_role"
    MEMBERS_REMOVE = "members.remove"
    MEMBERS_ASSIGN_MANAGER = "members.assign_manager"
    USAGE_READ = "usage.read"
    ACCOUNT_DELETE = "account.delete"
    ACCOUNT_RESTORE = "account.restore"
    # calls and coaching
    CALLS_UPLOAD = "calls.upload"
    CALLS_READ = "calls.read"
    CALLS_DELETE = "calls.delete"
    CALLS_CORRECT_ROLES = "calls.correct_roles"
    COACHING_READ = "coaching.read"
    COACHING_MANAGE = "coaching.manage"
    LIBRARY_READ = "library.read"
    LIBRARY_EDIT = "library.edit"
    # billing
    BILLING_READ = "billing.read"
    BILLING_MANAGE = "billing.manage"
    # privacy
    PRIVACY_SELF_SERVICE = "privacy.self_service"
    PRIVACY_MANAGE = "privacy.manage"
    # integrations (webhooks)
    INTEGRATIONS_MANAGE = "integrations.manage"


OWNER, ADMIN, MANAGER, REP, COMPLIANCE = Role
EVERYONE = frozenset(Role)

PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.PROFILE_READ: EVERYONE,
    Action.PROFILE_UPDATE: EVERYONE,
    Action.NOTIFICATIONS_READ: EVERYONE,
    Action.API_KEYS_MANAGE_OWN: EVERYONE,
    Action.API_KEYS_MANAGE_ALL: frozenset({OWNER, ADMIN}),
    Action.MEMBERS_READ: frozenset({OWNER, ADMIN, MANAGER}),
    Action.MEMBERS_INVITE: frozenset({OWNER, ADMIN}),
    Action.MEMBERS_UPDATE_ROLE: frozenset({OWNER, ADMIN}),
    Action.MEMBERS_REMOVE: frozenset({OWNER, ADMIN}),
    Action.MEMBERS_ASSIGN_MANAGER: frozenset({OWNER, ADMIN}),
    Action.USAGE_READ: frozenset({OWNER, ADMIN}),
    Action.ACCOUNT_DELETE: frozenset({OWNER}),
    Action.ACCOUNT_RESTORE: frozenset({OWNER}),
    Action.CALLS_UPLOAD: frozenset({OWNER, ADMIN, MANAGER, REP}),
    Action.CALLS_READ: EVERYONE,
    Action.CALLS_DELETE: frozenset({OWNER, ADMIN, MANAGER, REP, COMPLIANCE}),
    Action.CALLS_CORRECT_ROLES: frozenset({OWNER, ADMIN, MANAGER, REP}),
    Action.COACHING_READ: EVERYONE,
    Action.COACHING_MANAGE: frozenset({OWNER, ADMIN, MANAGER}),
    Action.LIBRARY_READ: EVERYONE,
    Action.LIBRARY_EDIT: frozenset({OWNER, ADMIN, MANAGER, REP}),
    Action.BILLING_READ: frozenset({OWNER, ADMIN}),
    Action.BILLING_MANAGE: frozenset({OWNER, ADMIN}),
    Action.PRIVACY_SELF_SERVICE: EVERYONE,
    Action.PRIVACY_MANAGE: frozenset({OWNER, ADMIN, COMPLIANCE}),
    Action.INTEGRATIONS_MANAGE: frozenset({OWNER, ADMIN}),
}
"""action → roles allowed. Rows a role sees are scoped by the owning service."""

GRANTABLE: Mapping[Role, frozenset[Role]] = {
    Role.OWNER: EVERYONE,
    Role.ADMIN: frozenset({ADMIN, MANAGER, REP, COMPLIANCE}),
    Role.MANAGER: frozenset({MANAGER, REP}),
    Role.REP: frozenset({REP}),
    Role.COMPLIANCE: frozenset({COMPLIANCE}),
}
"""Roles a role may hand out (invitations, role changes, API keys): never more than its own."""


def is_allowed(role: Role | str, action: Action) -> bool:
    return Role(role) in PERMISSIONS[action]


def can_grant(granter: Role | str, role: Role | str) -> bool:
    return Role(role) in GRANTABLE[Role(granter)]


def allowed_roles(action: Action) -> list[str]:
    return sorted(r.value for r in PERMISSIONS[action])


_unlisted = set(Action) - set(PERMISSIONS)
if _unlisted:  # caught at import time, so a new action cannot go without a row
    raise RuntimeError(f"actions without a permission row: {sorted(_unlisted)}")
