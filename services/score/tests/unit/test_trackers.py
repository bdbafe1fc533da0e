"""Trackers: phrases found case-insensitively, on word boundaries, with who, when and a quote."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from score.domain.phrases import TranscriptIndex
from score.domain.synthetic import build_transcript
from score.domain.trackers import Tracker, default_trackers, find_tracker_hits, summarize
from score.domain.types import ScoringInputError

ROLES = {0: "rep", 1: "customer"}
# build_transcript spreads a line's words evenly over its span.
CALL = build_transcript(
    [
        (0, 0.0, 10.0, "Our enterprise plan is simple. PRICING, though, comes much later."),
        (1, 20.0, 30.0, "Honestly my boss is the decision-maker here, and money is tight."),
        (0, 40.0, 48.0, "Great. So the next steps are a demo."),
    ]
)


def hits_for(trackers):
    return find_tracker_hits(TranscriptIndex(CALL, ROLES), trackers)


def test_a_phrase_matches_whatever_its_case_and_punctuation():
    [hit] = hits_for([Tracker(name="pricing", phrases=("pricing",))])
    assert hit.phrase == "pricing"
    assert (hit.speaker, hit.role) == (0, "rep")
    assert hit.time == 5.0  # "PRICING," is the sixth of ten words over 0–10 s


def test_a_phrase_only_matches_whole_words():
    assert hits_for([Tracker(name="price", phrases=("price", "rise"))]) == []  # not "enterprise"


def test_multi_word_phrases_match_across_words_and_hyphens():
    [hit] = hits_for([Tracker(name="decision maker", phrases=("decision maker",))])
    assert (hit.speaker, hit.role) == (1, "customer")
    assert hit.time == pytest.approx(20.0 + 5 * (10.0 / 11))  # sixth word of 11


def test_the_time_of_a_hit_is_the_start_of_its_first_word():
    [hit] = hits_for([Tracker(name="next steps", phrases=("next steps",))])
    assert hit.time == 43.0  # "next" is the fourth of eight words over 40–48 s


def test_the_longest_phrase_wins_where_several_match_at_one_spot():
    [hit] = hits_for([Tracker(name="next", phrases=("next", "next steps", "next step"))])
    assert hit.phrase == "next steps"


def test_a_hit_quotes_the_words_around_it():
    [hit] = hits_for([Tracker(name="budget", phrases=("money",))])
    assert hit.quote == "… boss is the decision-maker here, and money is tight."


def test_a_tracker_can_listen_to_one_side_only():
    tracker = Tracker(name="pricing", phrases=("pricing",), said_by="customer")
    assert hits_for([tracker]) == []


def test_disabled_trackers_find_nothing_and_are_not_summarized():
    trackers = [Tracker(name="pricing", phrases=("pricing",), enabled=False)]
    assert hits_for(trackers) == []
    assert summarize(trackers, []) == []


def test_custom_organization_trackers_work_like_the_defaults():
    custom = Tracker(org_id="org-1", name="demo", phrases=("demo", "walkthrough"))
    [hit] = hits_for([*default_trackers("org-1"), custom][-1:])
    assert (hit.tracker, hit.phrase, hit.time) == ("demo", "demo", 47.0)


def test_default_trackers_cover_the_usual_sales_topics():
    names = [t.name for t in default_trackers()]
    assert names == [
        "pricing",
        "competitors",
        "next steps",
        "budget",
        "timeline",
        "decision maker",
        "objections",
    ]
    summary = {s.name: s.count for s in summarize(default_trackers(), hits_for(default_trackers()))}
    assert summary["pricing"] == 1
    assert summary["decision maker"] == 2  # "my boss", "decision-maker"
    assert summary["next steps"] == 1
    assert summary["competitors"] == 0


def test_hits_come_in_time_order():
    hits = hits_for(default_trackers())
    assert [h.time for h in hits] == sorted(h.time for h in hits)


def test_a_phrase_without_words_is_refused():
    with pytest.raises(ValidationError, match="has no words to match"):
        Tracker(name="bad", phrases=("...",))


def test_tracker_names_must_be_unique():
    twice = [Tracker(name="Pricing", phrases=("price",)), Tracker(name="pricing", phrases=("x",))]
    with pytest.raises(ScoringInputError, match="repeated"):
        hits_for(twice)
