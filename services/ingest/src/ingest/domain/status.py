"""Call status and the one rule about it: status only ever moves forward.

Events arrive at least once and in no guaranteed order across topics (a redriven
``call-transcribed`` can land after ``call-scored``). Each status has a place on the
pipeline; a failure sits just after the stage that failed. An event moves the call only
to a later place, so a late or repeated event changes nothing, while a retry that
succeeds after a failure (``call-scored`` after a scoring failure) still lands.

``transcribing`` carries how much is done (``call-progressed``): within it, a higher
percent is a later place, so progress reports that arrive out of order never go back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

FailureStage = Literal["ingest", "transcribe", "score"]


class CallStatus(StrEnum):
    UPLOADED = "uploaded"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"


FINAL: frozenset[CallStatus] = frozenset({CallStatus.SCORED, CallStatus.FAILED})
"""Statuses nothing moves on from by itself (a redriven event may still move a failure)."""

_PLACE: dict[CallStatus, float] = {
    CallStatus.UPLOADED: 0,
    CallStatus.TRANSCRIBING: 1,
    CallStatus.TRANSCRIBED: 2,
    CallStatus.SCORING: 3,
    CallStatus.SCORED: 4,
}
_FAILURE_PLACE: dict[str, float] = {"ingest": 0.5, "transcribe": 1.5, "score": 3.5}


@dataclass(frozen=True)
class Position:
    """A call's status with what qualifies it: the failed stage, the percent done."""

    status: CallStatus
    failed_stage: str | None = None
    percent: int | None = None

    @property
    def place(self) -> float:
        """Where the call stands on the pipeline (higher is later)."""
        if self.status is CallStatus.FAILED:
            return _FAILURE_PLACE.get(self.failed_stage or "ingest", 0.5)
        base = _PLACE[self.status]
        if self.status is CallStatus.TRANSCRIBING:
            return base + (self.percent or 0) / 1000  # 1.0 .. 1.1, before any failure
        return base


def place(status: CallStatus | str, failed_stage: str | None = None) -> float:
    """Where a call stands on the pipeline (higher is later)."""
    return Position(CallStatus(status), failed_stage).place


def moves_forward(
    current: CallStatus | str,
    current_failed_stage: str | None,
    new: CallStatus | str,
    new_failed_stage: str | None = None,
    *,
    current_percent: int | None = None,
    new_percent: int | None = None,
) -> bool:
    """True if going from ``current`` to ``new`` is progress (never backwards, never sideways)."""
    before = Position(CallStatus(current), current_failed_stage, current_percent)
    after = Position(CallStatus(new), new_failed_stage, new_percent)
    return after.place > before.place
