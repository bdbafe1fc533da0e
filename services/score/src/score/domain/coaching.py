"""Coaching feedback for the rep: strengths, things to improve, next steps, each with evidence.

Two engines produce the same ``Feedback``: ``LocalCoach`` (here; deterministic rules
over metrics, trackers and the scorecard, no network) and the OpenAI coach
(``score.adapters.openai_coach``), which falls back to the local one and says so.
Every point carries evidence a person can check: a quote with its time, a metric
against its recommended range, a scorecard item's result, or a tracker's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.events.transcript import Transcript
from score.domain.evidence import (
    Evidence,
    QuoteEvidence,
    ScorecardEvidence,
    TrackerEvidence,
    metric_evidence,
)
from score.domain.metrics import ConversationMetrics
from score.domain.phrases import TranscriptIndex
from score.domain.scorecards import ItemResult, ScorecardResult
from score.domain.trackers import TrackerHit
from score.domain.types import Role, format_clock

MAX_POINTS_PER_SECTION = 5
FeedbackEngine = Literal["local", "openai"]


class FeedbackPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    evidence: list[Evidence] = Field(min_length=1)


class Feedback(BaseModel):
    model_config = ConfigDict(frozen=True)

    engine: FeedbackEngine
    model: str | None = None
    fallback_reason: str | None = None
    strengths: list[FeedbackPoint]
    improvements: list[FeedbackPoint]
    next_steps: list[FeedbackPoint]


@dataclass(frozen=True)
class CoachingContext:
    """Everything a coach may look at; built once by ``score_call``."""

    transcript: Transcript
    roles: dict[int, Role]
    index: TranscriptIndex
    metrics: ConversationMetrics
    tracker_hits: list[TrackerHit]
    scorecard: ScorecardResult | None


class Coach(Protocol):
    def coach(self, context: CoachingContext) -> Feedback: ...


def _quote(hit: TrackerHit) -> QuoteEvidence:
    return QuoteEvidence(quote=hit.quote, time=hit.time, speaker=hit.speaker, role=hit.role)


METRIC_PRAISE: dict[str, str] = {
    "talk_ratio_rep": "Balanced talk time: you let the customer do most of the talking.",
    "longest_monologue_s": "You kept your monologues short and gave the customer room.",
    "longest_customer_story_s": "You drew the customer into telling their story at length.",
    "interactivity": "The conversation was a real back-and-forth.",
    "patience_s": "You paused before answering, so the customer could finish their thought.",
    "rep_questions": "You asked a healthy number of discovery questions.",
    "filler_words_per_minute": "You spoke cleanly, with few filler words.",
    "speaking_pace_wpm": "Your speaking pace was easy to follow.",
}

METRIC_ADVICE: dict[str, tuple[str, str]] = {
    # metric: (advice when below the range, advice when above it)
    "talk_ratio_rep": (
        "You spoke very little; guide the conversation and share relevant insight.",
        "You did most of the talking; ask open questions and let the customer speak.",
    ),
    "longest_monologue_s": (
        "",
        "Break long monologues into shorter points and check in with a question.",
    ),
    "longest_customer_story_s": (
        "The customer never spoke at length; ask open questions and follow up on answers.",
        "",
    ),
    "interactivity": (
        "The call had little back-and-forth; check in with the customer more often.",
        "",
    ),
    "patience_s": (
        "You answered the instant the customer stopped (or talked over them); "
        "pause a moment first.",
        "Long pauses before answering; prepare likely questions so you can answer smoothly.",
    ),
    "rep_questions": (
        "Ask more discovery questions about their situation, pain and goals.",
        "You asked a great many questions; make sure it does not feel like an interrogation.",
    ),
    "filler_words_per_minute": ("", "Cut filler words (um, uh, like); a short pause works better."),
    "speaking_pace_wpm": (
        "You spoke slowly; a little more energy keeps attention.",
        "You spoke fast; slow down on key points so they land.",
    ),
    "silence_share": ("", "Long silences in the call; keep momentum with questions or recaps."),
}


class LocalCoach:
    """Deterministic feedback from the computed facts of the call. No network."""

    def coach(self, context: CoachingContext) -> Feedback:
        return local_feedback(context)


def local_feedback(context: CoachingContext, *, fallback_reason: str | None = None) -> Feedback:
    strengths: list[FeedbackPoint] = []
    improvements: list[FeedbackPoint] = []
    next_steps: list[FeedbackPoint] = []

    for name, metric in context.metrics.named():
        evidence: list[Evidence] = [metric_evidence(name, metric)]
        if metric.in_range is True and name in METRIC_PRAISE:
            strengths.append(FeedbackPoint(text=METRIC_PRAISE[name], evidence=evidence))
        elif metric.in_range is False and name in METRIC_ADVICE:
            below, above = METRIC_ADVICE[name]
            too_low = metric.recommended_min is not None and (metric.value or 0) < (
                metric.recommended_min
            )
            advice = below if too_low else above
            if advice:
                improvements.append(FeedbackPoint(text=advice, evidence=evidence))

    items = context.scorecard.items if context.scorecard else []
    for item in items:
        if item.status == "met":
            strengths.append(
                FeedbackPoint(text=f"Covered: {item.question}", evidence=_item_evidence(item))
            )
    gaps = sorted(
        (i for i in items if i.status != "met"), key=lambda i: (-i.weight * (1 - i.score), i.key)
    )
    for item in gaps:
        improvements.append(
            FeedbackPoint(text=f"Not fully covered: {item.question}", evidence=_item_evidence(item))
        )

    next_step_hits = [h for h in context.tracker_hits if h.tracker == "next steps"]
    if next_step_hits:
        strengths.append(
            FeedbackPoint(
                text="You talked about concrete next steps.",
                evidence=[_quote(h) for h in next_step_hits[:2]],
            )
        )
    else:
        next_steps.append(
            FeedbackPoint(
                text="Agree on a dated next step (a meeting, a trial) before the call ends.",
                evidence=[TrackerEvidence(tracker="next steps", hits=0)],
            )
        )
    for hit in [h for h in context.tracker_hits if h.tracker == "objections"][:3]:
        if hit.role == "customer":
            next_steps.append(
                FeedbackPoint(
                    text="Follow up on the concern the customer raised at "
                    f"{format_clock(hit.time)}.",
                    evidence=[_quote(hit)],
                )
            )
    for item in gaps[:2]:
        next_steps.append(
            FeedbackPoint(
                text=f"On the next call, find out: {item.question}",
                evidence=[
                    ScorecardEvidence(item=item.key, question=item.question, score=item.score)
                ],
            )
        )

    return Feedback(
        engine="local",
        fallback_reason=fallback_reason,
        strengths=strengths[:MAX_POINTS_PER_SECTION],
        improvements=improvements[:MAX_POINTS_PER_SECTION],
        next_steps=next_steps[:MAX_POINTS_PER_SECTION],
    )


def _item_evidence(item: ItemResult) -> list[Evidence]:
    """Met items show what covered them; gaps show their score, then any partial quotes."""
    quotes = [e for e in item.evidence if isinstance(e, QuoteEvidence)][:2]
    others = [e for e in item.evidence if not isinstance(e, QuoteEvidence)][:1]
    found: list[Evidence] = [*quotes, *others]
    if item.status == "met" and found:
        return found
    return [ScorecardEvidence(item=item.key, question=item.question, score=item.score), *found]
