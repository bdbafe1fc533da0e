"""Local coaching: deterministic strengths, improvements and next steps, each with evidence."""

from __future__ import annotations

import pytest

from score.domain.coaching import LocalCoach
from score.domain.evidence import MetricEvidence, QuoteEvidence, ScorecardEvidence, TrackerEvidence
from score.domain.scorecard_templates import meddic_template
from score.domain.scoring import score_call
from score.domain.synthetic import build_transcript

# The rep talks for 90 of 110 seconds; the customer raises a concern; nobody agrees a next step.
CALL = build_transcript(
    [
        (0, 0.0, 60.0, "Thanks for taking the time. Let me show you our platform. " * 10),
        (1, 60.8, 80.8, "I'm concerned it will be hard to roll out to everyone."),
        (0, 81.5, 111.5, "Most customers are live in a week, it is easy. " * 6),
    ]
)
ROLE_OVERRIDE = {0: "rep", 1: "customer"}


def coach_call():
    return score_call(
        CALL, role_override=ROLE_OVERRIDE, scorecard=meddic_template(), coach=LocalCoach()
    ).feedback


def test_the_local_engine_is_deterministic():
    assert coach_call().model_dump_json() == coach_call().model_dump_json()


def test_feedback_says_it_came_from_the_local_engine():
    feedback = coach_call()
    assert (feedback.engine, feedback.model, feedback.fallback_reason) == ("local", None, None)


def test_every_point_carries_evidence():
    feedback = coach_call()
    points = [*feedback.strengths, *feedback.improvements, *feedback.next_steps]
    assert points
    assert all(point.evidence for point in points)


def test_a_metric_outside_its_range_is_an_improvement_citing_the_metric():
    feedback = coach_call()
    [talk] = [
        p
        for p in feedback.improvements
        if isinstance(p.evidence[0], MetricEvidence) and p.evidence[0].metric == "talk_ratio_rep"
    ]
    assert talk.text.startswith("You did most of the talking")
    evidence = talk.evidence[0]
    assert evidence.value == round(90 / 110, 3)
    assert (evidence.recommended_min, evidence.recommended_max, evidence.in_range) == (
        0.4,
        0.5,
        False,
    )


def test_a_metric_inside_its_range_is_a_strength():
    feedback = coach_call()
    patience = [
        p
        for p in feedback.strengths
        if isinstance(p.evidence[0], MetricEvidence) and p.evidence[0].metric == "patience_s"
    ]
    assert patience and patience[0].evidence[0].value == 0.7  # 81.5 - 80.8


def test_an_uncovered_scorecard_item_is_an_improvement_with_its_score():
    feedback = coach_call()
    gaps = [p for p in feedback.improvements if isinstance(p.evidence[0], ScorecardEvidence)]
    assert gaps
    assert gaps[0].evidence[0].score == 0.0
    assert gaps[0].text == f"Not fully covered: {gaps[0].evidence[0].question}"


def test_a_customer_concern_becomes_a_next_step_quoting_it_with_its_time():
    feedback = coach_call()
    [follow_up] = [p for p in feedback.next_steps if p.text.startswith("Follow up on the concern")]
    assert follow_up.text == "Follow up on the concern the customer raised at 01:02."
    [quote] = follow_up.evidence
    assert isinstance(quote, QuoteEvidence)
    assert (quote.speaker, quote.role) == (1, "customer")
    assert quote.time == pytest.approx(60.8 + 20 / 11)  # "concerned", 2nd of 11 words
    assert "concerned" in quote.quote


def test_no_agreed_next_step_is_itself_a_next_step():
    feedback = coach_call()
    [book] = [p for p in feedback.next_steps if p.text.startswith("Agree on a dated next step")]
    assert book.evidence == [TrackerEvidence(tracker="next steps", hits=0)]


def test_agreed_next_steps_are_a_strength():
    call = build_transcript(
        [(0, 0.0, 5.0, "Shall we book a time for the next step?"), (1, 6.0, 8.0, "Yes please.")]
    )
    feedback = score_call(call, role_override=ROLE_OVERRIDE).feedback
    [strength] = [p for p in feedback.strengths if p.text.startswith("You talked about concrete")]
    assert isinstance(strength.evidence[0], QuoteEvidence)
    assert not any(p.text.startswith("Agree on a dated") for p in feedback.next_steps)
