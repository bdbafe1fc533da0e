"""Scorecards: MEDDIC and BANT items scored with evidence, weighted to 0–100, deterministic."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from score.domain.evidence import MetricEvidence, QuoteEvidence
from score.domain.scorecard_templates import bant_template, meddic_template
from score.domain.scorecards import (
    MetricCue,
    PhraseCue,
    Scorecard,
    ScorecardItem,
    TrackerCue,
    rescore,
)
from score.domain.synthetic import build_transcript
from score.domain.trackers import default_trackers

ROLES = {0: "rep", 1: "customer"}
TRACKERS = default_trackers()
# Ten words per ten seconds: the n-th word (from 0) starts n seconds into its line.
CALL = build_transcript(
    [
        (0, 0.0, 10.0, "Thanks for joining. What is the biggest challenge for you?"),
        (1, 11.0, 21.0, "Reviewing calls is manual and my boss has final say."),
        (0, 22.0, 32.0, "Understood. I will write up a short summary after this."),
    ]
)


def items_by_key(result):
    return {item.key: item for item in result.items}


def test_meddic_scores_each_item_with_its_evidence():
    result = rescore(CALL, meddic_template(), roles=ROLES, trackers=TRACKERS)
    items = items_by_key(result)

    assert items["economic_buyer"].status == "met"
    assert items["economic_buyer"].evidence == [
        QuoteEvidence(
            quote="Reviewing calls is manual and my boss has final say.",
            time=16.0,
            speaker=1,
            role="customer",
        ),
        QuoteEvidence(
            quote="… is manual and my boss has final say.", time=19.0, speaker=1, role="customer"
        ),
    ]
    pain = items["identify_pain"]
    assert (pain.score, pain.points, pain.max_points) == (1.0, 2.0, 2.0)
    assert [(e.time, e.role) for e in pain.evidence] == [(7.0, "rep"), (14.0, "customer")]

    for key in ("metrics", "decision_criteria", "decision_process", "champion"):
        assert items[key].status == "no_evidence"
        assert items[key].score == 0.0
        assert items[key].evidence == []


def test_the_overall_score_is_the_weighted_mean_of_item_scores():
    result = rescore(CALL, meddic_template(), roles=ROLES, trackers=TRACKERS)
    weights = {i.key: i.weight for i in meddic_template().items}
    expected = 100 * (weights["economic_buyer"] + weights["identify_pain"]) / sum(weights.values())
    assert result.overall == round(expected, 1) == 42.9
    assert (result.name, result.methodology) == ("MEDDIC", "MEDDIC")


def test_an_item_needing_two_kinds_of_evidence_scores_half_with_one():
    asked = build_transcript([(0, 0.0, 5.0, "How do you measure success today?")])
    items = items_by_key(rescore(asked, meddic_template(), roles={0: "rep"}, trackers=TRACKERS))
    assert (items["metrics"].score, items["metrics"].status) == (0.5, "partial")


def test_scoring_is_deterministic():
    first = rescore(CALL, meddic_template(), roles=ROLES, trackers=TRACKERS)
    second = rescore(CALL, meddic_template(), roles=ROLES, trackers=TRACKERS)
    assert first.model_dump_json() == second.model_dump_json()


def test_editing_a_scorecard_rescores_a_stored_call():
    original = meddic_template()
    champion = ScorecardItem(
        key="champion",
        question="Did the rep find someone inside who will sell for them?",
        cues=(PhraseCue(phrases=("summary",), said_by="rep"),),
    )
    edited = original.model_copy(
        update={
            "version": 2,
            "items": tuple(champion if i.key == "champion" else i for i in original.items),
        }
    )
    before = rescore(CALL, original, roles=ROLES, trackers=TRACKERS)
    after = rescore(CALL, edited, roles=ROLES, trackers=TRACKERS)
    assert items_by_key(after)["champion"].status == "met"
    assert items_by_key(after)["champion"].evidence[0].time == 29.0
    assert after.overall == round(100 * 4.0 / 7.0, 1) > before.overall
    assert after.version == 2


def test_bant_scores_budget_authority_need_and_timeline():
    items = items_by_key(rescore(CALL, bant_template(), roles=ROLES, trackers=TRACKERS))
    assert items["authority"].status == "met"
    assert items["budget"].status == "no_evidence"
    assert items["timeline"].status == "no_evidence"
    # "manual" from the customer, but their longest story is 10 s, under the 30 s cue
    assert (items["need"].score, items["need"].status) == (0.5, "partial")
    result = rescore(CALL, bant_template(), roles=ROLES, trackers=TRACKERS)
    assert result.overall == 37.5


def test_a_metric_cue_cites_the_metric_against_its_range():
    story = build_transcript(
        [
            (0, 0.0, 5.0, "Tell me about your week."),
            (1, 6.0, 46.0, "We need a better way to coach, " * 6),
        ]
    )
    need = items_by_key(rescore(story, bant_template(), roles=ROLES, trackers=TRACKERS))["need"]
    assert need.status == "met"
    [metric] = [e for e in need.evidence if isinstance(e, MetricEvidence)]
    assert (metric.metric, metric.value, metric.recommended_min) == (
        "longest_customer_story_s",
        40.0,
        30.0,
    )


def test_a_tracker_cue_for_a_missing_tracker_finds_nothing_and_says_why():
    card = Scorecard(
        name="custom",
        items=(ScorecardItem(key="legal", question="Legal?", cues=(TrackerCue(tracker="legal"),)),),
    )
    [item] = rescore(CALL, card, roles=ROLES, trackers=TRACKERS).items
    assert item.status == "no_evidence"
    assert item.notes == ["tracker 'legal' is not defined or disabled"]


def test_metric_cues_must_name_a_known_metric():
    with pytest.raises(ValidationError, match="unknown metric 'charisma'"):
        MetricCue(metric="charisma")
    with pytest.raises(ValidationError, match="needs a threshold"):
        MetricCue(metric="patience_s", condition="at_least")


def test_scorecard_items_need_unique_slug_keys():
    item = ScorecardItem(key="pain", question="Pain?", cues=(PhraseCue(phrases=("pain",)),))
    with pytest.raises(ValidationError, match="repeated: \\['pain'\\]"):
        Scorecard(name="x", items=(item, item))
    with pytest.raises(ValidationError, match="must be lowercase"):
        ScorecardItem(key="Pain Point", question="?", cues=(PhraseCue(phrases=("pain",)),))


def test_a_scorecard_round_trips_through_json():
    card = meddic_template("org-1")
    assert Scorecard.model_validate_json(card.model_dump_json()) == card
