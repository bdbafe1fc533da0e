"""When a failed webhook delivery is tried again, and when it is given up.

Exponential backoff: the first retry after ``initial`` seconds, each next one after
twice the previous wait, never more than ``max_interval``, with up to 10 % jitter so
that many deliveries failing together do not all come back at once. A delivery is
given up when its next attempt would fall outside the retry window (three days by
default) counted from when it was made.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from clashtor_common.backoff import capped_exponential


@dataclass(frozen=True)
class RetryPolicy:
    initial: float
    max_interval: float
    window: timedelta

    def delay(self, failures: int, jitter: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failed attempt (1-based)."""
        base = capped_exponential(self.initial, max(failures - 1, 0), self.max_interval)
        spread = random.random() if jitter is None else jitter
        return base * (1 + 0.1 * spread)

    def next_attempt(
        self, created_at: datetime, now: datetime, failures: int, jitter: float | None = None
    ) -> datetime | None:
        """When to try again, or None when the window is spent (give up)."""
        when = now + timedelta(seconds=self.delay(failures, jitter))
        return when if when <= created_at + self.window else None
