"""Phrase trackers: per-organization lists of phrases whose mentions are found in calls.

A tracker is a named list of phrases (case-insensitive, whole words, multi-word allowed;
see ``phrases``). Every organization starts from ``default_trackers`` and can edit them
or add its own. A hit records who said the phrase, their role, when (start time of the
phrase's first word), which phrase, and a short quote around it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from score.domain.phrases import TranscriptIndex, phrase_tokens
from score.domain.types import Role, SaidBy, ScoringInputError

DEFAULT_TRACKER_PHRASES: dict[str, tuple[str, ...]] = {
    "pricing": (
        "price",
        "prices",
        "pricing",
        "cost",
        "costs",
        "how much",
        "quote",
        "discount",
        "per seat",
        "per user",
        "per month",
        "license fee",
        "subscription",
    ),
    "competitors": (
        "competitor",
        "competitors",
        "alternative",
        "alternatives",
        "other vendors",
        "other vendor",
        "other tools",
        "currently using",
        "switching from",
        "compared to",
        "versus",
    ),
    "next steps": (
        "next step",
        "next steps",
        "follow up",
        "follow-up",
        "send over",
        "send you",
        "calendar invite",
        "schedule a",
        "set up a call",
        "book a time",
        "reconnect",
        "circle back",
        "trial",
        "pilot",
    ),
    "budget": (
        "budget",
        "budgeted",
        "budgets",
        "funding",
        "allocated",
        "spend",
        "fiscal year",
        "afford",
    ),
    "timeline": (
        "timeline",
        "deadline",
        "by the end of",
        "this quarter",
        "next quarter",
        "end of the year",
        "go live",
        "go-live",
        "rollout",
        "roll out",
        "launch",
        "when do you need",
        "how soon",
    ),
    "decision maker": (
        "decision maker",
        "decision makers",
        "decision-maker",
        "sign off",
        "signs off",
        "final say",
        "final decision",
        "approve",
        "approval",
        "procurement",
        "my boss",
        "the board",
        "ceo",
        "cfo",
        "vp",
    ),
    "objections": (
        "too expensive",
        "not a priority",
        "not interested",
        "not sure",
        "concern",
        "concerns",
        "concerned",
        "worried",
        "hesitant",
        "we already have",
        "no budget",
        "bad timing",
        "not the right time",
    ),
}


class Tracker(BaseModel):
    """A tracker of one organization (``org_id`` None for the built-in defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = None
    org_id: str | None = None
    name: str = Field(min_length=1, max_length=80)
    phrases: tuple[str, ...] = Field(min_length=1, max_length=200)
    enabled: bool = True
    said_by: SaidBy = "any"

    @field_validator("name")
    @classmethod
    def _name_stripped(cls, name: str) -> str:
        name = name.strip()
        if not name:
            raise ValueError("tracker name is empty")
        return name

    @field_validator("phrases")
    @classmethod
    def _phrases_have_words(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in phrases:
            phrase_tokens(phrase)  # raises with the offending phrase
        return phrases


class TrackerHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    tracker: str
    phrase: str
    speaker: int
    role: Role
    time: float
    quote: str


class TrackerSummary(BaseModel):
    """A tracker's hits in one call, as the call page shows them."""

    model_config = ConfigDict(frozen=True)

    name: str
    count: int
    hits: list[TrackerHit]


def default_trackers(org_id: str | None = None) -> list[Tracker]:
    """The trackers every organization starts with."""
    return [
        Tracker(org_id=org_id, name=name, phrases=phrases)
        for name, phrases in DEFAULT_TRACKER_PHRASES.items()
    ]


def find_tracker_hits(index: TranscriptIndex, trackers: Sequence[Tracker]) -> list[TrackerHit]:
    """Hits of every enabled tracker, in time order (ties: tracker order)."""
    names = [t.name.casefold() for t in trackers]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ScoringInputError(f"tracker names must be unique; repeated: {dupes}")
    hits: list[TrackerHit] = []
    for tracker in trackers:
        if not tracker.enabled:
            continue
        hits.extend(
            TrackerHit(
                tracker=tracker.name,
                phrase=m.phrase,
                speaker=m.speaker,
                role=m.role,
                time=m.time,
                quote=m.quote,
            )
            for m in index.find(tracker.phrases, tracker.said_by)
        )
    order = {t.name: i for i, t in enumerate(trackers)}
    hits.sort(key=lambda h: (h.time, order[h.tracker]))
    return hits


def summarize(trackers: Sequence[Tracker], hits: Sequence[TrackerHit]) -> list[TrackerSummary]:
    """One entry per enabled tracker, including those with no hits."""
    return [
        TrackerSummary(
            name=t.name,
            count=len(found := [h for h in hits if h.tracker == t.name]),
            hits=found,
        )
        for t in trackers
        if t.enabled
    ]
