"""Signed internal identities reused for half their lifetime, then signed anew."""

from __future__ import annotations

from clashtor_common.identity import Identity, verify_identity
from gateway.adapters.services import IdentityTokens

SECRET = "s" * 32
REP = Identity(org_id="o1", user_id="u1", role="rep")


def test_a_token_is_reused_for_half_its_lifetime_then_signed_anew() -> None:
    now = [1000.0]
    tokens = IdentityTokens(SECRET, ttl_seconds=60, clock=lambda: now[0])
    first = tokens.token(REP)
    assert verify_identity(first, SECRET) == REP
    now[0] += 29
    assert tokens.token(REP) == first
    now[0] += 1  # half the lifetime gone: a service must never get one about to expire
    renewed = tokens.token(REP)
    assert verify_identity(renewed, SECRET) == REP
    now[0] += 29  # 59 s after the first signing: only a token signed anew at 30 s is kept
    assert REP in tokens._tokens, "signed anew at half its lifetime"
    assert tokens.token(REP) == renewed


def test_each_identity_has_its_own_token() -> None:
    tokens = IdentityTokens(SECRET, ttl_seconds=60)
    manager = Identity(org_id="o1", user_id="u1", role="manager", team_user_ids=("u2",))
    other_org = Identity(org_id="o2", user_id="u1", role="rep")
    for identity in (REP, manager, other_org):
        assert verify_identity(tokens.token(identity), SECRET) == identity


def test_the_table_is_bounded() -> None:
    tokens = IdentityTokens(SECRET, ttl_seconds=60, max_entries=3)
    for n in range(10):
        tokens.token(Identity(org_id="o", user_id=f"u{n}", role="rep"))
    assert len(tokens._tokens) == 3
    assert Identity(org_id="o", user_id="u9", role="rep") in tokens._tokens, "the newest stay"
