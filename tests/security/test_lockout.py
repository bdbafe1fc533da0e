"""Hole 7: five wrong passwords locked the account for everyone for 15 minutes, so a
stranger could lock any user out. Guesses are throttled per (account, address) with
growing delays and per address; the owner signs in from their own address."""

from __future__ import annotations

from ..conftest import SIGNUPS_PER_ADDRESS
from ..e2e.stack import Stack
from .actors import PASSWORD, Browser


def test_a_strangers_guesses_do_not_lock_the_owner_out(stack: Stack) -> None:
    victim = Browser(stack.gateway, address="127.0.0.21").signup()
    stranger = Browser(stack.gateway, address="127.0.0.22")
    answers = [stranger.login(victim.email, "wrong password 123456").status_code for _ in range(8)]
    assert answers[0] == 401 and answers[-1] == 429, answers
    refused = stranger.login(victim.email, PASSWORD)
    assert refused.status_code == 429, "the stranger's address stays slowed down"
    assert int(refused.headers["Retry-After"]) >= 1

    owner = Browser(stack.gateway, address="127.0.0.23")
    assert owner.login(victim.email).status_code == 200


def test_signups_are_rate_limited_per_address(stack: Stack) -> None:
    spammer = Browser(stack.gateway, address="127.0.0.24")
    weak = {"name": "S", "email": "s@spam.example", "password": "x", "organization": "S"}
    answers = [
        spammer.http.post("/v1/auth/signup", json=weak).status_code
        for _ in range(SIGNUPS_PER_ADDRESS + 2)
    ]
    assert 429 in answers, answers
    late = spammer.http.post("/v1/auth/signup", json=weak)
    assert late.status_code == 429 and "Retry-After" in late.headers
