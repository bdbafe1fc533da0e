"""Conversation metrics of one call, computed from the timed transcript and the roles.

Definitions follow the way conversation-intelligence products (Gong, Chorus) publish
them; each metric carries its recommended range and whether the call is inside it.
All times are seconds. "Talk time" of a side is the *union* of its utterance intervals,
so overlapping speech is never counted twice; the call length is the larger of the
audio duration and the end of the last utterance.

Turns. Utterances are put in start order. An utterance lying entirely inside another
speaker's utterance is a backchannel ("mm-hmm", "right") said over the speaker who has
the floor: it counts as talk time but does not take the floor. Consecutive utterances of
the same speaker, with pauses of at most ``TURN_MAX_PAUSE_S`` between them, form one
turn.

Metrics (recommended range; where it comes from):

- ``talk_ratio_rep``: rep talk time / (rep + customer talk time).
  0.40–0.50; Gong: top reps talk ~43% of the time.
- ``talk_ratio_customer``: customer talk time / (rep + customer talk time).
  0.50–0.60; Gong: ~57%.
- ``longest_monologue_s``: the longest rep turn, start to end.
  At most 150 s; Gong: keep monologues under 2.5 minutes.
- ``longest_customer_story_s``: the longest customer turn, start to end.
  At least 30 s, longer is better; Gong: longer customer stories (30 s is our floor).
- ``interactivity``: speaker switches between consecutive turns per minute of call.
  At least 5 per minute; higher is better.
- ``patience_s``: mean pause between the end of a customer turn and the start of the
  rep turn that follows it. Interruptions count as 0; a rep turn starting more than
  ``RESPONSE_WINDOW_S`` later is not a reply. 0.6–1.0 s; Gong: top reps pause ~0.6–1 s.
- ``rep_questions``: sentences ending in "?" said by the rep.
  11–14; Gong: in a discovery call.
- ``customer_questions``: sentences ending in "?" said by the customer. Informational
  (engagement), as are ``rep_questions_per_hour`` and ``customer_questions_per_hour``.
- ``filler_words_per_minute``: rep filler words (see ``lexicon``) per minute of rep talk
  time. At most 2 per minute; lower is better (our threshold).
- Questions and fillers depend on the transcript's language (``lexicon``): for a
  language they are not defined for, their value is ``None`` with a note saying so.
- ``speaking_pace_wpm``: rep words per minute of rep talk time. 110–170 wpm.
- ``silence_share``: fraction of the call during which nobody speaks.
  At most 0.25 (our threshold).

Edge cases, decided here once:
- No speech at all: ratios, patience, pace and filler rate are ``None`` (nothing to divide),
  durations and counts are 0, silence share is 1.0 (or ``None`` for a zero-length call).
- One side silent: its talk time and longest turn are 0; the other side's ratio is 1.0.
- Overlap: both sides are talking, so each side's talk time includes it; silence is what
  no one covers, so overlap is not subtracted twice. ``overlap_s`` reports it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from clashtor_common.events.transcript import Transcript, Utterance
from score.domain import timeline
from score.domain.lexicon import (
    FILLER_LANGUAGES,
    QUESTION_LANGUAGES,
    count_fillers,
    count_questions,
    primary_language,
)
from score.domain.phrases import tokenize
from score.domain.types import Role, ScoringInputError

TURN_MAX_PAUSE_S = 5.0
"""Same-speaker pauses up to this long stay inside one turn (breath, slide change)."""

RESPONSE_WINDOW_S = 10.0
"""A rep turn starting later than this after the customer stopped is not a reply."""

Direction = Literal["target", "higher_is_better", "lower_is_better", "informational"]


class MetricValue(BaseModel):
    """One metric: its value, the recommended range and whether the call is inside it."""

    model_config = ConfigDict(frozen=True)

    value: float | None
    unit: str
    recommended_min: float | None = None
    recommended_max: float | None = None
    direction: Direction
    in_range: bool | None
    basis: str
    note: str | None = None


@dataclass(frozen=True)
class MetricSpec:
    unit: str
    direction: Direction
    recommended_min: float | None
    recommended_max: float | None
    basis: str

    def measure(self, value: float | None, note: str | None = None) -> MetricValue:
        in_range: bool | None = None
        if value is not None and (
            self.recommended_min is not None or self.recommended_max is not None
        ):
            in_range = (self.recommended_min is None or value >= self.recommended_min) and (
                self.recommended_max is None or value <= self.recommended_max
            )
        return MetricValue(
            value=None if value is None else round(value, 3),
            unit=self.unit,
            recommended_min=self.recommended_min,
            recommended_max=self.recommended_max,
            direction=self.direction,
            in_range=in_range,
            basis=self.basis,
            note=note,
        )


METRIC_SPECS: dict[str, MetricSpec] = {
    "talk_ratio_rep": MetricSpec("ratio", "target", 0.40, 0.50, "Gong: top reps talk ~43%"),
    "talk_ratio_customer": MetricSpec("ratio", "target", 0.50, 0.60, "Gong: customers ~57%"),
    "longest_monologue_s": MetricSpec(
        "s", "lower_is_better", None, 150.0, "Gong: keep monologues under 2.5 minutes"
    ),
    "longest_customer_story_s": MetricSpec(
        "s", "higher_is_better", 30.0, None, "Gong: longer customer stories; 30 s floor"
    ),
    "interactivity": MetricSpec(
        "switches/min", "higher_is_better", 5.0, None, "back-and-forth; higher is better"
    ),
    "patience_s": MetricSpec("s", "target", 0.6, 1.0, "Gong: top reps pause 0.6–1 s"),
    "rep_questions": MetricSpec(
        "questions", "target", 11.0, 14.0, "Gong: 11–14 questions in a discovery call"
    ),
    "customer_questions": MetricSpec(
        "questions", "informational", None, None, "customer engagement"
    ),
    "rep_questions_per_hour": MetricSpec("questions/h", "informational", None, None, "rate"),
    "customer_questions_per_hour": MetricSpec("questions/h", "informational", None, None, "rate"),
    "filler_words_per_minute": MetricSpec(
        "fillers/min", "lower_is_better", None, 2.0, "fewer fillers sound surer"
    ),
    "speaking_pace_wpm": MetricSpec("wpm", "target", 110.0, 170.0, "conversational pace"),
    "silence_share": MetricSpec("ratio", "lower_is_better", None, 0.25, "dead air"),
}
METRIC_NAMES = tuple(METRIC_SPECS)


class ConversationMetrics(BaseModel):
    """Every metric of a call plus the raw times they come from."""

    model_config = ConfigDict(frozen=True)

    duration_s: float
    speech_s: float
    overlap_s: float
    rep_talk_s: float
    customer_talk_s: float
    talk_ratio_rep: MetricValue
    talk_ratio_customer: MetricValue
    longest_monologue_s: MetricValue
    longest_customer_story_s: MetricValue
    interactivity: MetricValue
    patience_s: MetricValue
    rep_questions: MetricValue
    customer_questions: MetricValue
    rep_questions_per_hour: MetricValue
    customer_questions_per_hour: MetricValue
    filler_words_per_minute: MetricValue
    speaking_pace_wpm: MetricValue
    silence_share: MetricValue

    def metric(self, name: str) -> MetricValue:
        if name not in METRIC_SPECS:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRIC_NAMES)}")
        value: MetricValue = getattr(self, name)
        return value

    def named(self) -> list[tuple[str, MetricValue]]:
        return [(name, self.metric(name)) for name in METRIC_NAMES]


@dataclass(frozen=True)
class Turn:
    speaker: int
    role: Role
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


def build_turns(utterances: Sequence[Utterance], roles: dict[int, Role]) -> list[Turn]:
    """Turns of the conversation (see the module docstring): backchannels dropped,
    same-speaker utterances with short pauses merged."""
    ordered = sorted(utterances, key=lambda u: (u.start, -u.end))
    reach: dict[int, float] = {}
    turns: list[Turn] = []
    for u in ordered:
        is_backchannel = any(end >= u.end for s, end in reach.items() if s != u.speaker)
        reach[u.speaker] = max(reach.get(u.speaker, u.end), u.end)
        if is_backchannel:
            continue
        last = turns[-1] if turns else None
        if last and last.speaker == u.speaker and u.start - last.end <= TURN_MAX_PAUSE_S:
            turns[-1] = Turn(last.speaker, last.role, last.start, max(last.end, u.end))
        else:
            turns.append(Turn(u.speaker, roles[u.speaker], u.start, u.end))
    return turns


def compute_metrics(transcript: Transcript, roles: dict[int, Role]) -> ConversationMetrics:
    """All metrics of one call. Pure and deterministic."""
    utterances = list(transcript.utterances)
    missing = sorted({u.speaker for u in utterances} - roles.keys())
    if missing:
        raise ScoringInputError(f"speakers {missing} have no role; assign roles first")

    duration = max([transcript.duration, *(u.end for u in utterances)])
    spans: dict[Role, list[timeline.Interval]] = {"rep": [], "customer": []}
    per_speaker: dict[int, list[timeline.Interval]] = {}
    for u in utterances:
        spans[roles[u.speaker]].append((u.start, u.end))
        per_speaker.setdefault(u.speaker, []).append((u.start, u.end))
    speech = timeline.total(iv for ivs in spans.values() for iv in ivs)
    overlap = sum(timeline.total(ivs) for ivs in per_speaker.values()) - speech
    rep_talk = timeline.total(spans["rep"])
    customer_talk = timeline.total(spans["customer"])
    both = rep_talk + customer_talk

    turns = build_turns(utterances, roles)
    minutes = duration / 60.0
    hours = duration / 3600.0
    switches = sum(1 for a, b in itertools.pairwise(turns) if a.speaker != b.speaker)
    pauses = [
        max(0.0, b.start - a.end)
        for a, b in itertools.pairwise(turns)
        if a.role == "customer" and b.role == "rep" and b.start - a.end <= RESPONSE_WINDOW_S
    ]

    rep_utterances = [u for u in utterances if roles[u.speaker] == "rep"]
    cust_utterances = [u for u in utterances if roles[u.speaker] == "customer"]
    language = primary_language(transcript.language)
    rep_questions = sum(count_questions(u.text) for u in rep_utterances)
    cust_questions = sum(count_questions(u.text) for u in cust_utterances)
    rep_words = sum(len(u.words) if u.words else len(tokenize(u.text)) for u in rep_utterances)
    rep_fillers = sum(count_fillers(u.text) for u in rep_utterances)
    rep_minutes = rep_talk / 60.0

    no_speech = "no speech in the call"
    no_rep = "the rep did not speak"
    m = METRIC_SPECS
    questions = _for_language(language, QUESTION_LANGUAGES, "questions")
    fillers = _for_language(language, FILLER_LANGUAGES, "filler words")
    return ConversationMetrics(
        duration_s=round(duration, 3),
        speech_s=round(speech, 3),
        overlap_s=round(overlap, 3),
        rep_talk_s=round(rep_talk, 3),
        customer_talk_s=round(customer_talk, 3),
        talk_ratio_rep=m["talk_ratio_rep"].measure(*_ratio(rep_talk, both, no_speech)),
        talk_ratio_customer=m["talk_ratio_customer"].measure(
            *_ratio(customer_talk, both, no_speech)
        ),
        longest_monologue_s=m["longest_monologue_s"].measure(
            max((t.length for t in turns if t.role == "rep"), default=0.0)
        ),
        longest_customer_story_s=m["longest_customer_story_s"].measure(
            max((t.length for t in turns if t.role == "customer"), default=0.0)
        ),
        interactivity=m["interactivity"].measure(*_ratio(switches, minutes, "zero-length call")),
        patience_s=m["patience_s"].measure(
            *_ratio(sum(pauses), len(pauses), "the rep never answered the customer")
        ),
        rep_questions=m["rep_questions"].measure(*(questions or (rep_questions, None))),
        customer_questions=m["customer_questions"].measure(*(questions or (cust_questions, None))),
        rep_questions_per_hour=m["rep_questions_per_hour"].measure(
            *(questions or _ratio(rep_questions, hours, "zero-length call"))
        ),
        customer_questions_per_hour=m["customer_questions_per_hour"].measure(
            *(questions or _ratio(cust_questions, hours, "zero-length call"))
        ),
        filler_words_per_minute=m["filler_words_per_minute"].measure(
            *(fillers or _ratio(rep_fillers, rep_minutes, no_rep))
        ),
        speaking_pace_wpm=m["speaking_pace_wpm"].measure(*_ratio(rep_words, rep_minutes, no_rep)),
        silence_share=m["silence_share"].measure(
            *_ratio(duration - speech, duration, "zero-length call")
        ),
    )


def _for_language(language: str, supported: frozenset[str], what: str) -> tuple[None, str] | None:
    """``(None, why)`` when ``what`` is not defined for ``language``; None when it is."""
    if language in supported:
        return None
    return (
        None,
        f"{what} are not available for language {language!r} ({', '.join(sorted(supported))} only)",
    )


def _ratio(part: float, whole: float, why_none: str) -> tuple[float | None, str | None]:
    return (part / whole, None) if whole > 0 else (None, why_none)
