"""Who is the rep: override, then stereo channel, then pinned participants, then content."""

from __future__ import annotations

import pytest

from score.domain.roles import Participant, assign_roles, explain_roles
from score.domain.synthetic import Line, build_transcript
from score.domain.types import ScoringInputError

STEREO = build_transcript(
    [
        Line(0, 0.0, 5.0, "Hi, how are you?", channel=0),
        Line(1, 5.5, 9.0, "Good, thanks. I'm with Acme and we help teams like yours.", channel=1),
    ],
    channels=2,
)

# Speaker 0 opens but only answers; speaker 1 introduces the company and asks questions.
MONO = build_transcript(
    [
        (0, 0.0, 3.0, "Hello?"),
        (1, 3.5, 12.0, "Hi, thanks for taking the time. I'm with Acme, we help sales teams."),
        (0, 12.5, 15.0, "Sure, go ahead."),
        (1, 15.5, 22.0, "Tell me about your process? How do you currently coach reps?"),
        (0, 22.5, 30.0, "We mostly listen to a few calls a month."),
    ]
)


def test_in_stereo_the_uploaders_channel_is_the_rep():
    assert assign_roles(STEREO, []) == {0: "rep", 1: "customer"}
    assert explain_roles(STEREO).basis == {0: "channel", 1: "channel"}


def test_the_uploader_can_be_on_another_channel():
    assert assign_roles(STEREO, [], uploader_channel=1) == {0: "customer", 1: "rep"}


def test_a_user_correction_overrides_every_other_rule():
    assignment = explain_roles(STEREO, [], override={0: "customer", 1: "rep"})
    assert assignment.roles == {0: "customer", 1: "rep"}
    assert assignment.basis == {0: "override", 1: "override"}


def test_participants_pinned_to_a_speaker_decide_that_speaker():
    roles = assign_roles(MONO, [Participant(role="rep", speaker=0)])
    assert roles == {0: "rep", 1: "customer"}


def test_in_mono_the_speaker_who_pitches_and_asks_questions_is_the_rep():
    assignment = explain_roles(MONO, [])
    assert assignment.roles == {0: "customer", 1: "rep"}
    assert assignment.basis == {0: "content", 1: "content"}


def test_the_participant_list_says_how_many_reps_there_are():
    call = build_transcript(
        [
            (0, 0.0, 5.0, "Thanks for taking the time, let me show you our platform."),
            (1, 5.0, 9.0, "And I'm with Acme too. How do you currently run calls?"),
            (2, 9.0, 15.0, "We record them and nobody listens."),
        ]
    )
    listed = [Participant(role="rep"), Participant(role="rep"), Participant(role="customer")]
    assert assign_roles(call, listed) == {0: "rep", 1: "rep", 2: "customer"}
    assert assign_roles(call, []) == {0: "rep", 1: "customer", 2: "customer"}


def test_without_any_cue_the_first_speaker_is_the_rep():
    call = build_transcript([(1, 0.0, 2.0, "Hello."), (0, 2.0, 4.0, "Hello.")])
    assignment = explain_roles(call)
    assert assignment.roles == {1: "rep", 0: "customer"}
    assert set(assignment.basis.values()) == {"first_speaker"}


def test_participant_refs_from_events_are_accepted():
    from clashtor_common.events import ParticipantRef

    refs = [
        ParticipantRef(participant_id="p1", role="rep"),
        ParticipantRef(participant_id="p2", role="customer"),
    ]
    assert assign_roles(MONO, refs) == {0: "customer", 1: "rep"}


def test_an_override_for_a_speaker_the_call_does_not_have_is_refused():
    with pytest.raises(ScoringInputError, match=r"speaker 7 is not in this call \(speakers 0–1\)"):
        assign_roles(MONO, [], override={7: "rep"})


def test_an_override_with_an_unknown_role_is_refused():
    with pytest.raises(ScoringInputError, match="allowed: 'rep', 'customer'"):
        assign_roles(MONO, [], override={0: "manager"})


def test_a_call_without_speech_has_no_roles():
    assert assign_roles(build_transcript([], duration=10.0), []) == {}


def test_a_partial_correction_leaves_the_other_speakers_to_the_usual_rules():
    assignment = explain_roles(MONO, [], override={1: "customer"})
    assert assignment.roles == {0: "rep", 1: "customer"}
    assert assignment.basis == {0: "content", 1: "override"}
