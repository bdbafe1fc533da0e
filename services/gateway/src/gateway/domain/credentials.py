"""Secrets users hold and how we keep only their hashes: sessions, CSRF, API keys, passwords.

- Session tokens, API keys and invitation tokens are 192+ random bits, so a plain
  SHA-256 of them is a safe lookup key: nothing to brute-force. Only the hash is stored.
- The CSRF token is an HMAC of the session token: bound to that session, nothing to
  store, and it dies with the session.
- Passwords are hashed with argon2id (salted, memory-hard).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clashtor_common.upload_form import EMAIL_MAX, EMAIL_PATTERN, NOT_BLANK_PATTERN

API_KEY_PREFIXES = ("ck_live_", "ck_test_")
API_KEY_RANDOM_HEX = 48
API_KEY_SHOWN_CHARS = 12
"""How much of a key stays visible in listings: the ``ck_live_`` tag plus four characters."""

PASSWORD_MIN = 10
PASSWORD_MAX = 256
NO_NUL_PATTERN = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL: refused at the edge (422), not as a database error."""
TEXT_PATTERN = r"^[^\x00]*[^\s\x1c-\x1f\x00][^\x00]*$"
"""Not blank and no NUL: names of people, organizations and keys."""
_EMAIL = re.compile(EMAIL_PATTERN)
_NOT_BLANK = re.compile(NOT_BLANK_PATTERN)


def new_token() -> str:
    """A 256-bit URL-safe random token (sessions, invitations)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, session_token: str) -> str:
    mac = hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_matches(secret: str, session_token: str, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, session_token), presented)


def new_api_key(live: bool = True) -> str:
    """``ck_live_`` (production) or ``ck_test_`` followed by 192 random bits in hex."""
    tag = API_KEY_PREFIXES[0] if live else API_KEY_PREFIXES[1]
    return tag + secrets.token_hex(API_KEY_RANDOM_HEX // 2)


def looks_like_api_key(value: str) -> bool:
    return value.startswith(API_KEY_PREFIXES) and len(value) == 8 + API_KEY_RANDOM_HEX


def api_key_prefix(key: str) -> str:
    return key[:API_KEY_SHOWN_CHARS]


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why ``email`` (normalized) is not acceptable, or None."""
    if len(email) > EMAIL_MAX:
        return f"email must be at most {EMAIL_MAX} characters"
    if not _EMAIL.match(email):
        return "email must look like name@example.com"
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < PASSWORD_MIN:
        return f"password must be at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"password must be at most {PASSWORD_MAX} characters"
    if not _NOT_BLANK.search(password):
        return "password must not be blank"
    return None


class Passwords:
    """argon2id hashing with configurable cost (lowered in tests only)."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 64 * 1024, parallelism: int = 2):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified against when the account does not exist, so timing does not tell.
        self._decoy = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
