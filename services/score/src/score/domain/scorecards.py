"""Methodology scorecards (MEDDIC, BANT, or an organization's own) and how a call is scored.

A scorecard is a list of items. Each item asks one question about the call ("Did the rep
identify the economic buyer?"), has a weight, and lists detection cues:

- ``phrase``: any of these phrases said (optionally only by the rep or the customer);
- ``tracker``: the named tracker fired (optionally only for one side);
- ``metric``: a conversation metric is inside its recommended range, or at least / at
  most a threshold.

Each satisfied cue earns its ``points`` once; an item scores
``min(points earned, max_points) / max_points`` (0–1), so ``max_points=1`` means "any
cue will do" and ``max_points=2`` asks for two kinds of evidence (the rep asked *and*
the customer answered). Satisfied cues keep their evidence (quote, time, speaker, or
the metric against its range); an item with none says ``no_evidence``. The overall score
is the weighted mean of item scores, 0–100. Everything is deterministic: the same
transcript and scorecard always give the same result, which is what lets an edited
scorecard re-score past calls (``rescore``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clashtor_common.events.transcript import Transcript
from score.domain.evidence import Evidence, QuoteEvidence, metric_evidence
from score.domain.metrics import METRIC_NAMES, ConversationMetrics, compute_metrics
from score.domain.phrases import TranscriptIndex, phrase_tokens
from score.domain.trackers import Tracker, TrackerHit, find_tracker_hits
from score.domain.types import Role, SaidBy, said_by_matches

EVIDENCE_PER_CUE = 3
"""Enough quotes to show a pattern without copying the call into the result."""

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class PhraseCue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["phrase"] = "phrase"
    phrases: tuple[str, ...] = Field(min_length=1)
    said_by: SaidBy = "any"
    points: float = Field(default=1.0, gt=0)

    @field_validator("phrases")
    @classmethod
    def _phrases_have_words(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in phrases:
            phrase_tokens(phrase)
        return phrases


class TrackerCue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["tracker"] = "tracker"
    tracker: str = Field(min_length=1)
    said_by: SaidBy = "any"
    points: float = Field(default=1.0, gt=0)


class MetricCue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["metric"] = "metric"
    metric: str
    condition: Literal["in_range", "at_least", "at_most"] = "in_range"
    threshold: float | None = None
    points: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _known_metric_and_threshold(self) -> MetricCue:
        if self.metric not in METRIC_NAMES:
            raise ValueError(f"unknown metric {self.metric!r}; known: {', '.join(METRIC_NAMES)}")
        if self.condition != "in_range" and self.threshold is None:
            raise ValueError(f"condition {self.condition!r} needs a threshold")
        return self


Cue = Annotated[PhraseCue | TrackerCue | MetricCue, Field(discriminator="type")]


class ScorecardItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    question: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    max_points: float = Field(default=1.0, gt=0)
    cues: tuple[Cue, ...] = Field(min_length=1)

    @field_validator("key")
    @classmethod
    def _slug(cls, key: str) -> str:
        if not _KEY.match(key):
            raise ValueError(f"item key {key!r} must be lowercase letters, digits, '_' or '-'")
        return key


class Scorecard(BaseModel):
    """A scorecard of one organization (``org_id`` None for the built-in templates)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = None
    org_id: str | None = None
    name: str = Field(min_length=1, max_length=120)
    methodology: str = "custom"
    version: int = Field(default=1, ge=1)
    items: tuple[ScorecardItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Scorecard:
        keys = [item.key for item in self.items]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"scorecard item keys must be unique; repeated: {repeated}")
        return self


ItemStatus = Literal["met", "partial", "no_evidence"]


class ItemResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    question: str
    weight: float
    score: float = Field(ge=0, le=1)
    points: float
    max_points: float
    status: ItemStatus
    evidence: list[Evidence]
    notes: list[str] = Field(default_factory=list)


class ScorecardResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    scorecard_id: str | None
    name: str
    methodology: str
    version: int
    overall: float = Field(ge=0, le=100)
    items: list[ItemResult]


def score_scorecard(
    scorecard: Scorecard,
    *,
    index: TranscriptIndex,
    metrics: ConversationMetrics,
    tracker_hits: Sequence[TrackerHit],
    trackers: Sequence[Tracker],
) -> ScorecardResult:
    """Score a call against a scorecard from its already-computed parts."""
    enabled = {t.name.casefold() for t in trackers if t.enabled}
    items = [_score_item(item, index, metrics, tracker_hits, enabled) for item in scorecard.items]
    total_weight = sum(i.weight for i in items)
    overall = 100.0 * sum(i.weight * i.score for i in items) / total_weight
    return ScorecardResult(
        scorecard_id=scorecard.id,
        name=scorecard.name,
        methodology=scorecard.methodology,
        version=scorecard.version,
        overall=round(overall, 1),
        items=items,
    )


def rescore(
    transcript: Transcript,
    scorecard: Scorecard,
    *,
    roles: dict[int, Role],
    trackers: Sequence[Tracker],
) -> ScorecardResult:
    """Score a stored transcript against an (edited) scorecard, from scratch."""
    index = TranscriptIndex(transcript, roles)
    return score_scorecard(
        scorecard,
        index=index,
        metrics=compute_metrics(transcript, roles),
        tracker_hits=find_tracker_hits(index, trackers),
        trackers=trackers,
    )


def _score_item(
    item: ScorecardItem,
    index: TranscriptIndex,
    metrics: ConversationMetrics,
    tracker_hits: Sequence[TrackerHit],
    enabled_trackers: set[str],
) -> ItemResult:
    points = 0.0
    evidence: list[Evidence] = []
    notes: list[str] = []
    for cue in item.cues:
        found: list[Evidence] = []
        if isinstance(cue, PhraseCue):
            found = [
                QuoteEvidence(quote=m.quote, time=m.time, speaker=m.speaker, role=m.role)
                for m in index.find(cue.phrases, cue.said_by)
            ]
        elif isinstance(cue, TrackerCue):
            if cue.tracker.casefold() not in enabled_trackers:
                notes.append(f"tracker {cue.tracker!r} is not defined or disabled")
            found = [
                QuoteEvidence(quote=h.quote, time=h.time, speaker=h.speaker, role=h.role)
                for h in tracker_hits
                if h.tracker.casefold() == cue.tracker.casefold()
                and said_by_matches(cue.said_by, h.role)
            ]
        else:
            found = _metric_evidence(cue, metrics)
        if found:
            points += cue.points
            evidence.extend(found[:EVIDENCE_PER_CUE])
    score = min(points, item.max_points) / item.max_points
    status: ItemStatus = "met" if score >= 1 else "partial" if score > 0 else "no_evidence"
    evidence = _dedupe(evidence)
    return ItemResult(
        key=item.key,
        question=item.question,
        weight=item.weight,
        score=round(score, 4),
        points=points,
        max_points=item.max_points,
        status=status,
        evidence=evidence,
        notes=notes,
    )


def _metric_evidence(cue: MetricCue, metrics: ConversationMetrics) -> list[Evidence]:
    metric = metrics.metric(cue.metric)
    value = metric.value
    if cue.condition == "in_range":
        ok = metric.in_range is True
    elif value is None or cue.threshold is None:
        ok = False
    elif cue.condition == "at_least":
        ok = value >= cue.threshold
    else:
        ok = value <= cue.threshold
    if not ok:
        return []
    return [metric_evidence(cue.metric, metric)]


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    """The same quote found by two cues is shown once, in time order for quotes."""
    seen: set[str] = set()
    unique: list[Evidence] = []
    for e in evidence:
        key = e.model_dump_json()
        if key not in seen:
            seen.add(key)
            unique.append(e)
    quotes = sorted((e for e in unique if isinstance(e, QuoteEvidence)), key=lambda e: e.time)
    return [*quotes, *(e for e in unique if not isinstance(e, QuoteEvidence))]
