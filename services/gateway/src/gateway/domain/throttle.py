"""Sliding-window limits on failed logins, decided from the failures' timestamps.

The gateway keeps failed attempts in its database (``login_attempts``), keyed by a
keyed hash of the account's email and of the client address, so every replica sees
the same counts and a restart forgets nothing. A window slides: an attempt stops
counting ``window`` seconds after it happened, so ``Retry-After`` is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


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
