"""Call status and the one rule about it: status only ever moves forward.

Events arrive at least once and in no guaranteed order across topics (a redriven
``call-transcribed`` can land after ``call-scored``). Each status has a place on the
pipeline; a failure sits just after the stage that failed. An event moves the call only
to a later place, so a late or repeated event changes nothing, while a retry that
succeeds after a failure (``call-scored`` after a scoring failure) still lands.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

FailureStage = Literal["ingest", "transcribe", "score"]


class CallStatus(StrEnum):
    UPLOADED = "uploaded"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    SCORED = "scored"
    FAILED = "failed"


_PLACE: dict[CallStatus, float] = {
    CallStatus.UPLOADED: 0,
    CallStatus.TRANSCRIBING: 1,
    CallStatus.TRANSCRIBED: 2,
    CallStatus.SCORED: 3,
}
_FAILURE_PLACE: dict[str, float] = {"ingest": 0.5, "transcribe": 1.5, "score": 2.5}


def place(status: CallStatus | str, failed_stage: str | None = None) -> float:
    """Where a call stands on the pipeline (higher is later)."""
    status = CallStatus(status)
    if status is CallStatus.FAILED:
        return _FAILURE_PLACE.get(failed_stage or "ingest", 0.5)
    return _PLACE[status]


def moves_forward(
    current: CallStatus | str,
    current_failed_stage: str | None,
    new: CallStatus | str,
    new_failed_stage: str | None = None,
) -> bool:
    """True if going from ``current`` to ``new`` is progress (never backwards, never sideways)."""
    return place(new, new_failed_stage) > place(current, current_failed_stage)
