"""Assembling the public call view from the three owning services' answers."""

from __future__ import annotations

from typing import Any

from gateway.domain.call_view import assemble

CALL = {"id": "c1", "status": "uploaded", "title": "T", "duration": 12.0, "participants": []}
TRANSCRIPT = {
    "utterances": [
        {
            "speaker": 0,
            "start": 0,
            "end": 1,
            "text": "Hi",
            "words": [{"word": "Hi", "start": 0, "end": 1}],
        },
        {"speaker": 1, "start": 1, "end": 2, "text": "Yo", "words": []},
        {"speaker": 2, "start": 2, "end": 3, "text": "?", "words": []},
    ]
}
SCORE: dict[str, Any] = {
    "roles": {"0": "rep", "1": "customer"},
    "metrics": {"talk": 1},
    "trackers": [],
    "scorecard": {"overall": 0.5},
    "feedback": {"engine": "local"},
}


def test_roles_come_from_score_and_unknown_speakers_have_none() -> None:
    view = assemble(CALL, TRANSCRIPT, SCORE)
    assert [u["role"] for u in view["transcript"]["utterances"]] == ["rep", "customer", None]
    assert view["transcript"]["utterances"][0]["words"][0]["speaker"] == 0


def test_a_transcript_wrapped_in_an_envelope_is_found() -> None:
    view = assemble(CALL, {"call_id": "c1", "transcript": TRANSCRIPT}, None)
    assert len(view["transcript"]["utterances"]) == 3
    assert view["metrics"] is None


def test_missing_parts_are_null() -> None:
    view = assemble(CALL, None, None)
    assert view["transcript"] is None and view["scorecard"] is None and view["status"] == "uploaded"


def test_the_status_is_ingests_whatever_the_other_services_hold() -> None:
    """One source of truth: the detail says what the list says (ingest's state machine),
    even when transcribe and score already hold parts ingest has not heard of yet."""
    for status in ("uploaded", "transcribing", "transcribed", "scored", "failed"):
        assert assemble({**CALL, "status": status}, TRANSCRIPT, SCORE)["status"] == status
    assert assemble({**CALL, "status": "scored"}, None, None)["status"] == "scored"


def test_a_score_still_in_progress_is_not_shown() -> None:
    view = assemble(CALL, TRANSCRIPT, {"status": "transcribed", "metrics": {"x": 1}})
    assert view["metrics"] is None


def test_a_failed_call_says_why() -> None:
    failure = {"stage": "transcribe", "code": "no_speech", "reason": "no speech was found"}
    view = assemble({**CALL, "status": "failed", "failure": failure}, None, None)
    assert view["status"] == "failed" and view["failure"] == failure
    assert assemble(CALL, None, None)["failure"] is None
