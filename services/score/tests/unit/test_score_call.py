"""score_call: the whole pipeline in one JSON-serializable result; rescore_call keeps roles."""

from __future__ import annotations

import json

import pytest

from score.domain.scorecard_templates import bant_template, meddic_template
from score.domain.scoring import CallScore, rescore_call, score_call
from score.domain.synthetic import build_transcript, synthetic_sales_call
from score.domain.trackers import Tracker
from score.domain.types import ScoringInputError

CALL = build_transcript(
    [
        (0, 0.0, 20.0, "Hi, I'm with Acme. What is the biggest challenge with coaching?"),
        (1, 21.0, 51.0, "It is all manual, and my boss wants it fixed this quarter."),
        (0, 51.7, 60.0, "Great, I will send you a calendar invite for a demo."),
    ],
    duration=62.0,
)


def test_the_result_is_json_serializable_and_round_trips():
    result = score_call(CALL, scorecard=meddic_template())
    payload = json.loads(json.dumps(result.model_dump(mode="json")))
    assert set(payload) == {
        "scorer_version",
        "roles",
        "role_basis",
        "metrics",
        "trackers",
        "scorecard",
        "feedback",
    }
    assert payload["roles"] == {"0": "rep", "1": "customer"}
    assert CallScore.model_validate(payload) == result


def test_it_assembles_roles_metrics_trackers_scorecard_and_feedback():
    result = score_call(CALL, scorecard=meddic_template())
    assert result.roles == {0: "rep", 1: "customer"}
    assert result.metrics.rep_talk_s == 28.3
    assert {t.name: t.count for t in result.trackers}["timeline"] == 1
    assert result.overall_score == result.scorecard.overall
    assert result.engine == "local"


def test_a_role_correction_changes_whose_metrics_are_whose():
    corrected = score_call(CALL, role_override={0: "customer", 1: "rep"})
    assert corrected.roles == {0: "customer", 1: "rep"}
    assert corrected.metrics.rep_talk_s == 30.0
    assert corrected.role_basis == {0: "override", 1: "override"}


def test_without_a_scorecard_there_is_no_overall_score():
    result = score_call(CALL)
    assert result.scorecard is None
    assert result.overall_score is None
    assert result.feedback.improvements or result.feedback.strengths


def test_organization_trackers_replace_the_defaults():
    result = score_call(CALL, trackers=[Tracker(org_id="o", name="demo", phrases=("demo",))])
    assert [(t.name, t.count) for t in result.trackers] == [("demo", 1)]


def test_rescoring_with_an_edited_scorecard_keeps_the_calls_roles():
    first = score_call(CALL, role_override={0: "rep", 1: "customer"}, scorecard=meddic_template())
    again = rescore_call(CALL, first, scorecard=bant_template())
    assert again.roles == first.roles
    assert again.role_basis == first.role_basis
    assert again.scorecard.methodology == "BANT"
    assert again.metrics == first.metrics


def test_bad_input_is_a_clear_error():
    with pytest.raises(ScoringInputError, match="speaker 3 is not in this call"):
        score_call(CALL, role_override={3: "rep"})


def test_the_synthetic_hour_long_call_scores_end_to_end():
    call = synthetic_sales_call(60)
    result = score_call(call, scorecard=meddic_template())
    assert result.metrics.duration_s == 3600.0
    assert result.roles == {0: "rep", 1: "customer"}
    assert all(t.count > 0 for t in result.trackers)
    assert 0 < result.overall_score <= 100
    assert synthetic_sales_call(60).model_dump() == call.model_dump()  # deterministic


def test_a_silent_call_still_gets_a_complete_result():
    silent = build_transcript([], duration=45.0)
    result = score_call(silent, scorecard=meddic_template())
    assert result.roles == {}
    assert result.metrics.silence_share.value == 1.0
    assert result.scorecard.overall == 0.0
    assert all(item.status == "no_evidence" for item in result.scorecard.items)
    assert result.feedback.improvements  # silence and every uncovered item
    json.dumps(result.model_dump(mode="json"))
