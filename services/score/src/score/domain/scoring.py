"""The one entry point the service calls: score a transcribed call, or re-score it.

``score_call`` runs the whole pipeline — roles, metrics, trackers, scorecard, coaching —
and returns a JSON-serializable ``CallScore``. It is synchronous and CPU-bound (plus
the coach's HTTP call when the OpenAI engine is used); async callers should run it in a
worker thread (``await asyncio.to_thread(score_call, ...)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from clashtor_common.events.transcript import Transcript
from score.domain.coaching import Coach, CoachingContext, Feedback, LocalCoach
from score.domain.metrics import ConversationMetrics, compute_metrics
from score.domain.phrases import TranscriptIndex
from score.domain.roles import ParticipantLike, RoleBasis, explain_roles
from score.domain.scorecards import Scorecard, ScorecardResult, score_scorecard
from score.domain.trackers import (
    Tracker,
    TrackerHit,
    TrackerSummary,
    default_trackers,
    find_tracker_hits,
    summarize,
)
from score.domain.types import Role

SCORER_VERSION = "1"
"""Bumped when a rule change would give a stored call a different result."""


class CallScore(BaseModel):
    """Everything the score service stores and shows for one call."""

    model_config = ConfigDict(frozen=True)

    scorer_version: str = SCORER_VERSION
    roles: dict[int, Role]
    role_basis: dict[int, RoleBasis]
    metrics: ConversationMetrics
    trackers: list[TrackerSummary]
    scorecard: ScorecardResult | None
    feedback: Feedback

    @property
    def overall_score(self) -> float | None:
        return self.scorecard.overall if self.scorecard else None

    @property
    def engine(self) -> str:
        return self.feedback.engine


def score_call(
    transcript: Transcript,
    *,
    participants: Sequence[ParticipantLike] = (),
    role_override: Mapping[int, str] | None = None,
    uploader_channel: int | None = None,
    trackers: Sequence[Tracker] | None = None,
    scorecard: Scorecard | None = None,
    coach: Coach | None = None,
) -> CallScore:
    """Score one call.

    ``trackers`` defaults to the built-in ones; with no ``scorecard`` the result has
    none; ``coach`` defaults to the deterministic local engine. Bad input (an override
    naming a speaker the call does not have, duplicate tracker names) raises
    ``ScoringInputError`` with a message a user can act on.
    """
    assignment = explain_roles(transcript, participants, uploader_channel, role_override)
    return _score(transcript, assignment.roles, assignment.basis, trackers, scorecard, coach)


def rescore_call(
    transcript: Transcript,
    previous: CallScore,
    *,
    scorecard: Scorecard | None,
    trackers: Sequence[Tracker] | None = None,
    coach: Coach | None = None,
) -> CallScore:
    """Re-score a stored call after its organization edited a scorecard or trackers.

    Keeps the roles the call already has (including a user's correction), so only the
    edited rules change the result.
    """
    return _score(transcript, previous.roles, previous.role_basis, trackers, scorecard, coach)


def _score(
    transcript: Transcript,
    roles: dict[int, Role],
    basis: dict[int, RoleBasis],
    trackers: Sequence[Tracker] | None,
    scorecard: Scorecard | None,
    coach: Coach | None,
) -> CallScore:
    tracker_list = list(trackers) if trackers is not None else default_trackers()
    index = TranscriptIndex(transcript, roles)
    metrics: ConversationMetrics = compute_metrics(transcript, roles)
    hits: list[TrackerHit] = find_tracker_hits(index, tracker_list)
    result = (
        score_scorecard(
            scorecard, index=index, metrics=metrics, tracker_hits=hits, trackers=tracker_list
        )
        if scorecard
        else None
    )
    context = CoachingContext(
        transcript=transcript,
        roles=roles,
        index=index,
        metrics=metrics,
        tracker_hits=hits,
        scorecard=result,
    )
    feedback = (coach or LocalCoach()).coach(context)
    return CallScore(
        roles=roles,
        role_basis=basis,
        metrics=metrics,
        trackers=summarize(tracker_list, hits),
        scorecard=result,
        feedback=feedback,
    )
