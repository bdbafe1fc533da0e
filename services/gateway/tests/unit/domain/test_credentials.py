"""Tokens, API keys, CSRF tokens and passwords."""

from __future__ import annotations

import re

import pytest

from gateway.domain import credentials


def test_api_keys_are_prefixed_random_and_recognizable() -> None:
    live, test = credentials.new_api_key(live=True), credentials.new_api_key(live=False)
    assert re.fullmatch(r"ck_live_[0-9a-f]{48}", live)
    assert re.fullmatch(r"ck_test_[0-9a-f]{48}", test)
    assert credentials.looks_like_api_key(live) and credentials.looks_like_api_key(test)
    assert not credentials.looks_like_api_key("ck_live_short")
    assert credentials.api_key_prefix(live) == live[:12]
    assert credentials.new_api_key() != credentials.new_api_key()


def test_csrf_token_is_bound_to_its_session() -> None:
    token = credentials.csrf_token("secret", "session-a")
    assert credentials.csrf_matches("secret", "session-a", token)
    assert not credentials.csrf_matches("secret", "session-b", token)
    assert not credentials.csrf_matches("other-secret", "session-a", token)
    assert not credentials.csrf_matches("secret", "session-a", None)
    assert not credentials.csrf_matches("secret", "session-a", "")


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("ada@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("no-at-sign.example.com", False),
        ("two@@example.com", False),
        ("nodot@example", False),
        ("trailing@example.com.", False),
        ("space in@example.com", False),
        ("ümlaut@example.com", False),
        ("a" * 250 + "@example.com", False),
    ],
)
def test_email_rules(email: str, ok: bool) -> None:
    assert (credentials.email_problem(email) is None) is ok


@pytest.mark.parametrize(
    ("password", "ok"),
    [("long enough pw", True), ("short", False), (" " * 12, False), ("\x1c" * 12, False)],
)
def test_password_rules(password: str, ok: bool) -> None:
    assert (credentials.password_problem(password) is None) is ok


def test_passwords_hash_with_argon2id_and_verify() -> None:
    passwords = credentials.Passwords(time_cost=1, memory_kib=1024, parallelism=1)
    stored = passwords.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery staple")
    assert not passwords.verify(stored, "wrong")
    assert not passwords.verify(None, "anything")  # unknown account: decoy, still False
    assert not passwords.verify("not a hash", "anything")


def test_stronger_settings_ask_for_a_rehash() -> None:
    weak = credentials.Passwords(time_cost=1, memory_kib=1024, parallelism=1)
    strong = credentials.Passwords(time_cost=2, memory_kib=2048, parallelism=1)
    assert strong.needs_rehash(weak.hash("a passphrase here"))
