"""Who sees which call scores, and who may change coaching configuration."""

from __future__ import annotations

import pytest

from clashtor_common.identity import Identity
from score.domain.access import can_correct_roles, can_manage_coaching, can_see, visible_uploaders


def who(role: str, user: str = "u1", team: tuple[str, ...] = ()) -> Identity:
    return Identity(org_id="o1", user_id=user, role=role, team_user_ids=team)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ["owner", "admin", "compliance", "system"])
def test_org_wide_roles_see_every_call(role: str) -> None:
    assert visible_uploaders(who(role)) is None
    assert can_see(who(role), "anyone")


def test_a_rep_sees_only_their_own_calls() -> None:
    rep = who("rep", "rep-a")
    assert visible_uploaders(rep) == {"rep-a"}
    assert can_see(rep, "rep-a") and not can_see(rep, "rep-b")


def test_a_manager_sees_their_own_and_their_teams_calls() -> None:
    lead = who("manager", "m1", team=("rep-a", "rep-b"))
    assert visible_uploaders(lead) == {"m1", "rep-a", "rep-b"}
    assert not can_see(lead, "rep-c")


@pytest.mark.parametrize(
    ("role", "manage", "correct"),
    [
        ("owner", True, True),
        ("admin", True, True),
        ("manager", True, True),
        ("rep", False, True),
        ("compliance", False, False),
    ],
)
def test_who_may_edit_coaching_and_correct_roles(role: str, manage: bool, correct: bool) -> None:
    assert can_manage_coaching(who(role)) is manage
    assert can_correct_roles(who(role)) is correct
