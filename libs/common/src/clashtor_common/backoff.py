"""The wait before a retry that doubles per failure, up to a cap."""

from __future__ import annotations

_MAX_DOUBLINGS = 1000
"""Any cap is reached long before; past about 1023 ``2**n`` no longer fits a float and the
product raises ``OverflowError`` (a counter of failures that ran for months)."""


def capped_exponential(base: float, doublings: int, cap: float) -> float:
    """``base * 2**doublings`` seconds, never more than ``cap`` (``doublings`` 0: ``base``)."""
    return min(base * 2 ** min(doublings, _MAX_DOUBLINGS), cap)
