"""Conversation metrics: transcripts with exactly known timings give exactly known values."""

from __future__ import annotations

import pytest

from score.domain.metrics import TURN_MAX_PAUSE_S, compute_metrics
from score.domain.synthetic import build_transcript

REP, CUSTOMER = 0, 1
ROLES = {REP: "rep", CUSTOMER: "customer"}

# A two-minute call. Pauses: rep→customer 1.0 s, customer→rep 0.8 s and 0.6 s.
U1 = "Thanks for taking the time today. Tell me about your team? How many reps do you have?"
U2 = "We have twelve reps and, um, onboarding is slow."
U3 = "Um, what is, like, the biggest challenge? Who signs off on tools?"
U4 = "Honestly the manual work. My boss has the final say."
U5 = "Great, let's book a time next week."
CALL = build_transcript(
    [
        (REP, 0.0, 30.0, U1),
        (CUSTOMER, 31.0, 61.0, U2),
        (REP, 61.8, 71.8, U3),
        (CUSTOMER, 72.0, 100.0, U4),
        (REP, 100.6, 110.6, U5),
    ],
    duration=120.0,
)
REP_WORDS = 17 + 12 + 7  # words of U1, U3, U5
REP_TALK = 30.0 + 10.0 + 10.0
CUSTOMER_TALK = 30.0 + 28.0


@pytest.fixture(scope="module")
def metrics():
    return compute_metrics(CALL, ROLES)


def test_talk_time_of_each_side_is_the_sum_of_its_utterances(metrics):
    assert metrics.rep_talk_s == REP_TALK
    assert metrics.customer_talk_s == CUSTOMER_TALK
    assert metrics.duration_s == 120.0


def test_talk_ratio_is_each_sides_share_of_talk_time(metrics):
    assert metrics.talk_ratio_rep.value == round(REP_TALK / (REP_TALK + CUSTOMER_TALK), 3)
    assert metrics.talk_ratio_customer.value == round(CUSTOMER_TALK / (REP_TALK + CUSTOMER_TALK), 3)
    assert metrics.talk_ratio_rep.value == 0.463
    assert (metrics.talk_ratio_rep.recommended_min, metrics.talk_ratio_rep.recommended_max) == (
        0.40,
        0.50,
    )
    assert metrics.talk_ratio_rep.in_range is True
    assert metrics.talk_ratio_customer.in_range is True


def test_longest_monologue_and_customer_story_are_the_longest_turns(metrics):
    assert metrics.longest_monologue_s.value == 30.0
    assert metrics.longest_monologue_s.in_range is True  # ≤ 150 s
    assert metrics.longest_customer_story_s.value == 30.0
    assert metrics.longest_customer_story_s.in_range is True  # ≥ 30 s


def test_interactivity_is_speaker_switches_per_minute(metrics):
    # five turns, four switches, two minutes
    assert metrics.interactivity.value == 2.0
    assert metrics.interactivity.in_range is False  # recommended ≥ 5 per minute


def test_patience_is_the_mean_pause_before_the_rep_answers(metrics):
    assert metrics.patience_s.value == pytest.approx((0.8 + 0.6) / 2)
    assert metrics.patience_s.in_range is True  # 0.6–1.0 s


def test_questions_are_counted_per_side_and_per_hour(metrics):
    assert metrics.rep_questions.value == 4
    assert metrics.customer_questions.value == 0
    assert metrics.rep_questions_per_hour.value == 4 / (120 / 3600)
    assert metrics.rep_questions.in_range is False  # 11–14 in a discovery call


def test_filler_words_are_counted_per_minute_of_rep_talk(metrics):
    # "Um" and ", like," in U3; the customer's "um" is not the rep's
    assert metrics.filler_words_per_minute.value == round(2 / (REP_TALK / 60), 3)
    assert metrics.filler_words_per_minute.value == 2.4
    assert metrics.filler_words_per_minute.in_range is False  # ≤ 2 per minute


def test_speaking_pace_is_rep_words_per_minute_of_rep_talk(metrics):
    assert metrics.speaking_pace_wpm.value == round(REP_WORDS / (REP_TALK / 60), 3)
    assert metrics.speaking_pace_wpm.in_range is False  # 43.2 wpm is far below 110–170


def test_silence_share_is_the_part_of_the_call_nobody_speaks(metrics):
    silence = 120.0 - REP_TALK - CUSTOMER_TALK
    assert metrics.silence_share.value == round(silence / 120.0, 3)
    assert metrics.silence_share.in_range is True


def test_same_speaker_pauses_up_to_the_limit_stay_in_one_monologue():
    short_pause = build_transcript(
        [(REP, 0.0, 100.0, "a " * 10), (REP, 100.0 + TURN_MAX_PAUSE_S, 170.0, "b " * 10)],
        speakers=2,
    )
    long_pause = build_transcript(
        [(REP, 0.0, 100.0, "a " * 10), (REP, 100.0 + TURN_MAX_PAUSE_S + 0.5, 170.0, "b " * 10)],
        speakers=2,
    )
    merged = compute_metrics(short_pause, ROLES).longest_monologue_s
    assert merged.value == 170.0
    assert merged.in_range is False  # over 2.5 minutes
    assert compute_metrics(long_pause, ROLES).longest_monologue_s.value == 100.0


def test_one_speaker_only():
    call = build_transcript([(REP, 0.0, 60.0, "Let me walk you through our product.")])
    m = compute_metrics(call, {REP: "rep"})
    assert m.talk_ratio_rep.value == 1.0
    assert m.talk_ratio_customer.value == 0.0
    assert m.longest_monologue_s.value == 60.0
    assert m.longest_customer_story_s.value == 0.0
    assert m.longest_customer_story_s.in_range is False
    assert m.interactivity.value == 0.0
    assert m.patience_s.value is None
    assert m.patience_s.in_range is None
    assert m.patience_s.note == "the rep never answered the customer"
    assert m.silence_share.value == 0.0


def test_silence_only():
    call = build_transcript([], duration=30.0)
    m = compute_metrics(call, {})
    assert m.speech_s == 0.0
    assert m.silence_share.value == 1.0
    assert m.silence_share.in_range is False
    for name in ("talk_ratio_rep", "talk_ratio_customer", "speaking_pace_wpm"):
        assert m.metric(name).value is None
        assert m.metric(name).in_range is None
    assert m.talk_ratio_rep.note == "no speech in the call"
    assert m.filler_words_per_minute.note == "the rep did not speak"
    assert m.longest_monologue_s.value == 0.0
    assert m.rep_questions.value == 0
    assert m.interactivity.value == 0.0


def test_zero_length_call_has_no_rates():
    m = compute_metrics(build_transcript([], duration=0.0), {})
    assert m.silence_share.value is None
    assert m.interactivity.value is None
    assert m.rep_questions_per_hour.value is None


def test_overlapping_speech_is_counted_once_in_silence_and_for_each_side():
    call = build_transcript(
        [
            (REP, 0.0, 10.0, "So the plan is simple"),
            (CUSTOMER, 8.0, 15.0, "Wait, what about security"),
            (REP, 20.0, 30.0, "Good question, here is how"),
        ],
        duration=30.0,
    )
    m = compute_metrics(call, ROLES)
    assert m.rep_talk_s == 20.0
    assert m.customer_talk_s == 7.0
    assert m.speech_s == 25.0  # 0–15 and 20–30
    assert m.overlap_s == 2.0  # 8–10
    assert m.silence_share.value == round(5.0 / 30.0, 3)
    assert m.talk_ratio_rep.value == round(20.0 / 27.0, 3)
    assert m.patience_s.value == 5.0  # customer stopped at 15, rep answered at 20


def test_talking_over_the_customer_counts_as_zero_patience():
    call = build_transcript(
        [
            (CUSTOMER, 0.0, 10.0, "We mostly struggle with onboarding"),
            (REP, 9.0, 20.0, "Right, and that is exactly what we fix"),
        ]
    )
    assert compute_metrics(call, ROLES).patience_s.value == 0.0


def test_a_backchannel_inside_a_monologue_neither_ends_it_nor_switches_speaker():
    call = build_transcript(
        [(REP, 0.0, 40.0, "Let me explain the whole setup " * 5), (CUSTOMER, 10.0, 11.0, "mm-hmm")]
    )
    m = compute_metrics(call, ROLES)
    assert m.longest_monologue_s.value == 40.0
    assert m.interactivity.value == 0.0
    assert m.customer_talk_s == 1.0
    assert m.overlap_s == 1.0


def test_a_two_hour_call():
    # 72 rounds of 100 s: rep 40 s, 1 s pause, customer 58 s, 1 s pause.
    lines = []
    for k in range(72):
        t = 100.0 * k
        lines.append((REP, t, t + 40.0, "Tell me more about that? " * 20))
        lines.append((CUSTOMER, t + 41.0, t + 99.0, "Sure, it is a long story. " * 29))
    call = build_transcript(lines, duration=7200.0)
    m = compute_metrics(call, ROLES)
    assert m.duration_s == 7200.0
    assert m.rep_talk_s == 72 * 40.0
    assert m.customer_talk_s == 72 * 58.0
    assert m.talk_ratio_rep.value == round(40.0 / 98.0, 3)
    assert m.longest_monologue_s.value == 40.0
    assert m.longest_customer_story_s.value == 58.0
    assert m.interactivity.value == round(143 / 120.0, 3)
    assert m.patience_s.value == 1.0
    assert m.rep_questions.value == 72 * 20
    assert m.rep_questions_per_hour.value == 72 * 20 / 2
    assert m.speaking_pace_wpm.value == round(72 * 100 / (72 * 40.0 / 60), 3)  # 150 wpm
    assert m.silence_share.value == round(144.0 / 7200.0, 3)


def test_a_speaker_without_a_role_is_refused():
    with pytest.raises(ValueError, match=r"speakers \[1\] have no role"):
        compute_metrics(CALL, {REP: "rep"})


def test_questions_are_counted_in_a_supported_language_other_than_english():
    spanish = build_transcript(
        [(REP, 0.0, 10.0, "¿Cómo va su semana? ¿Quién decide?"), (CUSTOMER, 11.0, 20.0, "Bien.")],
        language="es",
    )
    metrics = compute_metrics(spanish, ROLES)
    assert metrics.rep_questions.value == 2 and metrics.rep_questions.note is None
    assert metrics.filler_words_per_minute.value is None  # the filler lexicon is English
    assert "not available for language 'es'" in (metrics.filler_words_per_minute.note or "")


def test_language_dependent_metrics_are_not_available_for_other_languages():
    greek = build_transcript(
        [(REP, 0.0, 10.0, "Τι κάνετε; Um, ok?"), (CUSTOMER, 11.0, 20.0, "Καλά.")],
        language="el",
    )
    metrics = compute_metrics(greek, ROLES)
    for name in (
        "rep_questions",
        "customer_questions",
        "rep_questions_per_hour",
        "customer_questions_per_hour",
        "filler_words_per_minute",
    ):
        value = metrics.metric(name)
        assert value.value is None and value.in_range is None, name
        assert "not available for language 'el'" in (value.note or ""), name
    assert metrics.talk_ratio_rep.value is not None  # language-free metrics still computed


def test_a_regional_tag_uses_its_language():
    call = build_transcript([(REP, 0.0, 10.0, "Um, any questions?")], language="en-GB")
    metrics = compute_metrics(call, {REP: "rep"})
    assert metrics.rep_questions.value == 1 and metrics.filler_words_per_minute.value == 6.0
