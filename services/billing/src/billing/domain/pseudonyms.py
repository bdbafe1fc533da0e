"""Pseudonyms for personal fields billing must keep (tax records) but not identify.

A keyed hash (the service's fingerprint secret) of the value: stable, so erasing twice
writes the same pseudonym, and not reversible without the secret.
"""

from __future__ import annotations

import hashlib
import hmac

ERASED_EMAIL_DOMAIN = "erased.invalid"


def pseudonym(secret: str, kind: str, value: str) -> str:
    digest = hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:20]}"


def pseudonymous_email(secret: str, kind: str, value: str) -> str:
    return f"{pseudonym(secret, kind, value)}@{ERASED_EMAIL_DOMAIN}"


def is_pseudonym(value: str | None) -> bool:
    return bool(value) and str(value).startswith("erased-")
