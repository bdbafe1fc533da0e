"""Call status only moves forward along the pipeline."""

from __future__ import annotations

import pytest

from ingest.domain.status import CallStatus, moves_forward

U, T, D, S, F = (
    CallStatus.UPLOADED,
    CallStatus.TRANSCRIBING,
    CallStatus.TRANSCRIBED,
    CallStatus.SCORED,
    CallStatus.FAILED,
)


@pytest.mark.parametrize(
    ("current", "new"), [(U, T), (U, D), (T, D), (D, S), (U, S)], ids=lambda s: str(s)
)
def test_success_events_move_a_call_forward(current: CallStatus, new: CallStatus) -> None:
    assert moves_forward(current, None, new)


@pytest.mark.parametrize(
    ("current", "new"), [(S, D), (D, T), (S, U), (D, D), (S, S)], ids=lambda s: str(s)
)
def test_late_or_repeated_success_events_never_move_it_back(
    current: CallStatus, new: CallStatus
) -> None:
    assert not moves_forward(current, None, new)


def test_a_failure_lands_only_after_the_stage_that_failed() -> None:
    assert moves_forward(U, None, F, "transcribe")
    assert moves_forward(D, None, F, "score")
    assert not moves_forward(D, None, F, "transcribe")  # late failure of a finished stage
    assert not moves_forward(S, None, F, "score")


def test_a_retry_that_succeeds_after_a_failure_still_lands() -> None:
    assert moves_forward(F, "transcribe", D)
    assert moves_forward(F, "score", S)
    assert not moves_forward(F, "score", D)  # a stale transcription does not undo the failure


def test_the_same_failure_twice_is_not_progress() -> None:
    assert not moves_forward(F, "score", F, "score")


def test_scoring_sits_between_transcribed_and_scored() -> None:
    G = CallStatus.SCORING
    assert moves_forward(D, None, G)
    assert moves_forward(G, None, S)
    assert not moves_forward(S, None, G)  # a late "scoring started" after the result
    assert moves_forward(G, None, F, "score")
    assert not moves_forward(F, "score", G)  # a retry's start does not hide the failure


def test_transcribing_percent_only_rises() -> None:
    assert moves_forward(T, None, T, current_percent=10, new_percent=40)
    assert not moves_forward(T, None, T, current_percent=40, new_percent=10)
    assert not moves_forward(T, None, T, current_percent=40, new_percent=40)
    assert moves_forward(T, None, D, current_percent=100)
    assert not moves_forward(D, None, T, new_percent=100)
    assert not moves_forward(F, "transcribe", T, new_percent=100)
