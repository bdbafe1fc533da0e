"""Usage rules: how a transcribed call becomes billable minutes, and billing periods.

Minutes are whole minutes rounded up per call (``ceil(duration / 60)``): a 61-second
call is 2 minutes, as telephony and transcription vendors bill. Rounding per call (not
per period) keeps a call's minutes fixed the moment it is recorded, so the ledger row
and its meter event never change afterwards. A call of zero seconds is zero minutes.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime


class InvalidDuration(ValueError):
    pass


def billable_minutes(duration_seconds: float) -> int:
    if not math.isfinite(duration_seconds) or duration_seconds < 0:
        raise InvalidDuration(
            f"call duration must be a finite, non-negative number of seconds, got {duration_seconds!r}"
        )
    return math.ceil(duration_seconds / 60)


def calendar_month(now: datetime) -> tuple[int, int]:
    """The UTC calendar month around ``now`` as Unix seconds (free plans count per month)."""
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp())


def current_period(
    period_start: int | None, period_end: int | None, now: datetime
) -> tuple[int, int]:
    """The subscription's period when it contains ``now``, else the calendar month."""
    ts = int(now.timestamp())
    if period_start is not None and period_end is not None and period_start <= ts < period_end:
        return period_start, period_end
    return calendar_month(now)


def overage(used: int, included: int) -> int:
    return max(0, used - included)
