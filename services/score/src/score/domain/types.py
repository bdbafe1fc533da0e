"""Words the scoring core shares: roles, what a phrase may be said by, and its input error.

The transcript it reads is ``clashtor_common.events.transcript.Transcript`` itself (the
stored one, or a synthetic one for a benchmark: ``domain.synthetic`` builds the same model).
"""

from __future__ import annotations

from typing import Literal

Role = Literal["rep", "customer"]
SaidBy = Literal["any", "rep", "customer"]


class ScoringInputError(ValueError):
    """Input the scorer cannot work with; the message says what and where (→ HTTP 422)."""


def said_by_matches(said_by: SaidBy, role: Role) -> bool:
    return said_by == "any" or said_by == role


def format_clock(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour), the way call players show time."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
