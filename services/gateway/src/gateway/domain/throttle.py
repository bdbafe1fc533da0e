"""Limits on failed logins and on costly requests, decided from past events' timestamps.

The gateway keeps these events in its database (``gateway_login_attempts``), keyed by
a keyed hash of (account, client address), of the address alone, or of an org/user and
an action, so every replica sees the same counts and a restart forgets nothing. A
window slides: an event stops counting ``window`` seconds after it happened, so
``Retry-After`` is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from clashtor_common.backoff import capped_exponential


@dataclass(frozen=True)
class Limit:
    max_failures: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def check(failures: Sequence[float], limit: Limit, now: float) -> Verdict:
    """Whether another attempt may be made, given past failure times (epoch seconds)."""
    recent = sorted(t for t in failures if now - t < limit.window_seconds)
    if len(recent) < limit.max_failures:
        return Verdict(True)
    # The attempt that must age out before one more is allowed.
    unlock_at = recent[len(recent) - limit.max_failures] + limit.window_seconds
    return Verdict(False, max(1, math.ceil(unlock_at - now)))


def strictest(*verdicts: Verdict) -> Verdict:
    blocked = [v for v in verdicts if not v.allowed]
    if not blocked:
        return Verdict(True)
    return Verdict(False, max(v.retry_after for v in blocked))


@dataclass(frozen=True)
class Backoff:
    """Growing delays: ``free`` failures pass, then each one doubles the wait."""

    free: int
    base_seconds: float
    max_seconds: float
    window_seconds: int


def backoff(failures: Sequence[float], rule: Backoff, now: float) -> Verdict:
    """Whether another attempt may be made now, with delays that grow per failure.

    After ``free`` failures in the window the next attempt must wait ``base * 2**k``
    seconds after the last failure (k = failures beyond ``free``), capped at ``max``.
    Used per (account, client address): a guesser slows down exponentially, while
    the owner of the account, from their own address, is never locked out by them.
    """
    recent = sorted(t for t in failures if now - t < rule.window_seconds)
    beyond = len(recent) - rule.free
    if beyond < 0:
        return Verdict(True)
    delay = capped_exponential(rule.base_seconds, beyond, rule.max_seconds)
    wait = recent[-1] + delay - now
    if wait <= 0:
        return Verdict(True)
    return Verdict(False, max(1, math.ceil(wait)))
