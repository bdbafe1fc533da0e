"""The permission table's own rules, independent of HTTP."""

from __future__ import annotations

import pytest

from gateway.domain.permissions import GRANTABLE, PERMISSIONS, Action, Role, can_grant, is_allowed


def test_every_action_has_a_row_and_every_row_names_roles() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert all(PERMISSIONS[a] for a in Action)


@pytest.mark.parametrize("action", list(Action))
def test_owners_may_do_everything(action: Action) -> None:
    assert is_allowed(Role.OWNER, action)


@pytest.mark.parametrize("role", list(Role))
def test_nobody_grants_a_role_that_can_do_more_than_their_own(role: Role) -> None:
    for granted in GRANTABLE[role]:
        allowed_to_granted = {a for a in Action if is_allowed(granted, a)}
        allowed_to_granter = {a for a in Action if is_allowed(role, a)}
        assert allowed_to_granted <= allowed_to_granter, (role, granted)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_grant_its_own_role(role: Role) -> None:
    assert can_grant(role, role)


def test_only_owners_grant_owner() -> None:
    assert [r for r in Role if can_grant(r, Role.OWNER)] == [Role.OWNER]


def test_reps_and_compliance_see_no_billing_and_only_compliance_roles_run_privacy() -> None:
    for role in (Role.REP, Role.MANAGER, Role.COMPLIANCE):
        assert not is_allowed(role, Action.BILLING_READ)
    assert {r for r in Role if is_allowed(r, Action.PRIVACY_MANAGE)} == {
        Role.OWNER,
        Role.ADMIN,
        Role.COMPLIANCE,
    }


def test_unknown_roles_are_refused_loudly() -> None:
    with pytest.raises(ValueError):
        is_allowed("emperor", Action.CALLS_READ)
