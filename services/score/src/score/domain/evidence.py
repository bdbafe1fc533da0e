"""Evidence: what a score or a piece of coaching points at, so a person can check it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from score.domain.metrics import MetricValue
from score.domain.types import Role


class _Evidence(BaseModel):
    """Evidence is a fact about a scored call: fixed once made."""

    model_config = ConfigDict(frozen=True)


class QuoteEvidence(_Evidence):
    """Something said in the call: the words, when, and by whom."""

    kind: Literal["quote"] = "quote"
    quote: str
    time: float
    speaker: int
    role: Role


class MetricEvidence(_Evidence):
    """A metric's value against its recommended range."""

    kind: Literal["metric"] = "metric"
    metric: str
    value: float | None
    unit: str
    recommended_min: float | None
    recommended_max: float | None
    in_range: bool | None


def metric_evidence(name: str, metric: MetricValue) -> MetricEvidence:
    """Metric ``name`` as we computed it: its value and range are ours, never a model's."""
    return MetricEvidence(
        metric=name,
        value=metric.value,
        unit=metric.unit,
        recommended_min=metric.recommended_min,
        recommended_max=metric.recommended_max,
        in_range=metric.in_range,
    )


class ScorecardEvidence(_Evidence):
    """A scorecard item's result, e.g. an item nobody covered (score 0)."""

    kind: Literal["scorecard"] = "scorecard"
    item: str
    question: str
    score: float


class TrackerEvidence(_Evidence):
    """How often a tracker fired (0 is evidence too: the topic never came up)."""

    kind: Literal["tracker"] = "tracker"
    tracker: str
    hits: int


Evidence = Annotated[
    QuoteEvidence | MetricEvidence | ScorecardEvidence | TrackerEvidence,
    Field(discriminator="kind"),
]
