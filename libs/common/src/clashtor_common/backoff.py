"""The wait before a retry that doubles per failure, up to a cap."""

from __future__ import annotations

from dataclasses import dataclass

_MAX_DOUBLINGS = 1000
"""Any cap is reached long before; past about 1023 ``2**n`` no longer fits a float and the
product raises ``OverflowError`` (a counter of failures that ran for months)."""


def capped_exponential(base: float, doublings: int, cap: float) -> float:
    """``base * 2**doublings`` seconds, never more than ``cap`` (``doublings`` 0: ``base``)."""
    return min(base * 2 ** min(doublings, _MAX_DOUBLINGS), cap)


@dataclass(frozen=True)
class Retries:
    """How a consumer retries what failed: an error that is not transient up to
    ``max_attempts`` tries in all, waiting ``backoff_seconds`` at first and twice as long
    after each failure, up to ``backoff_max`` (a transient one at that pace without end).
    The bus's consumers and transcribe's job workers take it from the ``consumer_*``
    settings (``ServiceSettings.consumer_retries``)."""

    max_attempts: int = 3
    backoff_seconds: float = 0.2
    backoff_max: float = 30.0

    def delay(self, doublings: int) -> float:
        """The wait after ``doublings + 1`` failures (0: ``backoff_seconds``)."""
        return capped_exponential(self.backoff_seconds, doublings, self.backoff_max)
