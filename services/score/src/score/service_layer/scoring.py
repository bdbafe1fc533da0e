"""Scoring a transcribed call, and re-scoring a stored one (role correction, scorecard edit).

The slow work — downloading the transcript, decrypting and parsing it, scoring (CPU,
plus the OpenAI round trip when that engine is configured), sealing the results — runs
before the first write of the transaction, and everything CPU-bound runs in a worker
thread so the event loop keeps serving requests and the broker.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.bus import PermanentError
from clashtor_common.crypto import DataKey, DataKeys, DecryptionError, KeyDestroyed
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import utcnow
from clashtor_common.domain_errors import InvalidInput
from clashtor_common.events import CallFailed, CallScored, CallTranscribed, make_event
from clashtor_common.events.transcript import Transcript
from clashtor_common.outbox import emit
from clashtor_common.progress import ProgressReporter
from clashtor_common.s3 import ObjectNotFound
from score.adapters.repository import ScoreRepository
from score.adapters.sealed import Binding, Kind, seal, transcript_object_aad, unseal
from score.adapters.tables import CallParticipantRecord, CallScoreRecord
from score.context import ScoreContext
from score.domain.reviews import effective_overall
from score.domain.roles import Participant
from score.domain.scorecards import Scorecard
from score.domain.scoring import CallScore, rescore_call, score_call
from score.domain.trackers import Tracker
from score.domain.types import ScoringInputError
from score.service_layer.config import (
    org_trackers,
    scorecard_for_rescore,
    scoring_config,
)

log = logging.getLogger(__name__)
SOURCE = "score"


class ScoreFailure(Exception):
    """The call cannot be scored from what we were given; becomes a ``call-failed``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Sealed:
    score: CallScore
    result_enc: bytes
    transcript_enc: bytes | None = None


# -- pure, thread-side work -------------------------------------------------------------
def open_transcript_object(
    ctx: ScoreContext, blob: bytes, call_id: str, keys: DataKeys
) -> Transcript:
    """Decrypt and parse transcribe's object with the data key its event carried;
    DecryptionError propagates (keys are wrong or missing)."""
    plain = ctx.keyring.decrypt(blob, aad=transcript_object_aad(call_id), keys=keys)
    try:
        return Transcript.model_validate_json(plain)
    except ValidationError as exc:
        raise ScoreFailure(
            "transcript_invalid",
            f"the transcript does not match the transcript schema ({exc.error_count()} errors)",
        ) from exc


def _seal_score(
    ctx: ScoreContext,
    score: CallScore,
    *,
    org_id: str,
    call_id: str,
    key: DataKey,
    transcript: Transcript | None = None,
) -> Sealed:
    def sealed(model: BaseModel, kind: Kind) -> bytes:
        plain = model.model_dump_json().encode()
        return seal(ctx.keyring, plain, Binding(org_id, call_id, kind), key)

    stored = sealed(transcript, "transcript") if transcript is not None else None
    return Sealed(score=score, result_enc=sealed(score, "result"), transcript_enc=stored)


def _scored_from_blob(
    ctx: ScoreContext,
    *,
    org_id: str,
    call: CallTranscribed,
    blob: bytes,
    carried: DataKeys,
    key: DataKey,
    trackers: list[Tracker],
    scorecard: Scorecard,
) -> Sealed:
    transcript = open_transcript_object(ctx, blob, call.call_id, carried)
    try:
        score = score_call(
            transcript,
            participants=call.participants,
            trackers=trackers,
            scorecard=scorecard,
            coach=ctx.coach,
        )
    except ScoringInputError as exc:
        raise ScoreFailure("scoring_input", str(exc)) from exc
    return _seal_score(
        ctx, score, org_id=org_id, call_id=call.call_id, key=key, transcript=transcript
    )


def _unseal(
    ctx: ScoreContext, rec: CallScoreRecord, blob: bytes, kind: Kind, keys: DataKeys
) -> bytes:
    return unseal(ctx.keyring, blob, Binding(rec.org_id, rec.call_id, kind), keys)


def stored_transcript(ctx: ScoreContext, rec: CallScoreRecord, keys: DataKeys) -> Transcript:
    if rec.transcript_enc is None:
        raise ScoreFailure("transcript_missing", f"call {rec.call_id} has no stored transcript")
    return Transcript.model_validate_json(_unseal(ctx, rec, rec.transcript_enc, "transcript", keys))


def stored_score(ctx: ScoreContext, rec: CallScoreRecord, keys: DataKeys) -> CallScore:
    assert rec.result_enc is not None
    return CallScore.model_validate_json(_unseal(ctx, rec, rec.result_enc, "result", keys))


def stored_result_json(ctx: ScoreContext, rec: CallScoreRecord, keys: DataKeys) -> dict[str, Any]:
    """The stored result as plain JSON (no model validation: reading is the hot path)."""
    if rec.result_enc is None:
        return {}
    plain = _unseal(ctx, rec, rec.result_enc, "result", keys)
    data: dict[str, Any] = json.loads(plain)
    return data


# -- writing ----------------------------------------------------------------------------
def reviewed_overall(
    scorecard: dict[str, Any] | None, automatic: float | None, overrides: dict[str, float] | None
) -> float | None:
    """The call's score as everyone sees it: the automatic one, or the reviewed one when a
    manager overrode items (a re-score keeps the overrides of items it still has)."""
    return effective_overall(scorecard, overrides) if overrides else automatic


def _apply(rec: CallScoreRecord, sealed: Sealed) -> None:
    score = sealed.score
    card = score.scorecard
    metrics = score.metrics
    rec.status = "scored"
    rec.failure_code = rec.failure_reason = None
    rec.automatic_score = score.overall_score
    rec.overall_score = reviewed_overall(
        score.scorecard.model_dump(mode="json") if score.scorecard else None,
        score.overall_score,
        rec.item_overrides,
    )
    rec.scorecard_id = card.scorecard_id if card else None
    rec.scorecard_name = card.name if card else None
    rec.scorecard_version = card.version if card else None
    rec.engine = score.feedback.engine
    rec.model = score.feedback.model
    rec.fallback = score.feedback.fallback_reason is not None
    rec.scorer_version = score.scorer_version
    rec.talk_ratio_rep = metrics.talk_ratio_rep.value
    rec.rep_questions = metrics.rep_questions.value
    rec.longest_monologue_s = metrics.longest_monologue_s.value
    rec.patience_s = metrics.patience_s.value
    rec.result_enc = sealed.result_enc
    if sealed.transcript_enc is not None:
        rec.transcript_enc = sealed.transcript_enc
    rec.times_scored = (rec.times_scored or 0) + 1
    rec.scored_at = utcnow()


async def _emit_scored(session: AsyncSession, rec: CallScoreRecord, score: CallScore) -> None:
    await announce_scored(session, rec, [t.name for t in score.trackers if t.count > 0])


async def announce_scored(
    session: AsyncSession, rec: CallScoreRecord, trackers: Sequence[str]
) -> None:
    """call-scored with the call's current score (again after a re-score or a review)."""
    payload = CallScored(
        call_id=rec.call_id,
        uploader_id=rec.uploader_id,
        overall_score=rec.overall_score,
        scorecard=rec.scorecard_name,
        engine=rec.engine or "local",
        trackers=list(trackers),
    )
    await emit(
        session,
        make_event(
            payload, source=SOURCE, org_id=rec.org_id, key=rec.call_id, subject_ids=[rec.call_id]
        ),
    )


async def _record_failure(
    session: AsyncSession,
    repo: ScoreRepository,
    existing: CallScoreRecord | None,
    call: CallTranscribed,
    failure: ScoreFailure,
    event_id: str,
) -> None:
    log.warning("call %s not scored: %s (%s)", call.call_id, failure.code, failure.reason)
    rec = existing or CallScoreRecord(
        org_id=repo.org_id, call_id=call.call_id, uploader_id=call.uploader_id, status="failed"
    )
    rec.status = "failed"
    rec.failure_code = failure.code
    rec.failure_reason = failure.reason[:1000]
    rec.source_event_id = event_id
    session.add(rec)
    await repo.replace_participants(call.call_id, call.participants)
    await emit(
        session,
        make_event(
            CallFailed(
                call_id=call.call_id,
                uploader_id=call.uploader_id,
                stage="score",
                code=failure.code,
                reason=failure.reason[:1000],
            ),
            source=SOURCE,
            org_id=repo.org_id,
            key=call.call_id,
            subject_ids=[call.call_id],
        ),
    )
    await session.flush()


# -- call-transcribed ---------------------------------------------------------------------
async def score_transcribed_call(
    ctx: ScoreContext, session: AsyncSession, *, org_id: str, event_id: str, call: CallTranscribed
) -> str:
    """Score the call once; returns what happened (``scored``, ``failed``, ``skipped: …``).

    What the slow work needs is read in a short transaction of its own; the handler's
    transaction (``session``) is only touched afterwards, to check again and write, so it
    never stays open across the download and the scoring (on SQLite, where every
    transaction takes the write lock up front, that would block every other writer).
    """
    async with ctx.db.session() as reads:
        if await _already_done(ScoreRepository(reads, org_id), call):
            return "skipped"
        config = await scoring_config(ScoreRepository(reads, org_id))
        # committed before anything is sealed under it
        key = await ctx.keys.get(reads, call_key_id(call.call_id))
    await ProgressReporter(
        ctx.db,
        source=SOURCE,
        org_id=org_id,
        call_id=call.call_id,
        uploader_id=call.uploader_id,
        stage="score",
    ).report(0.0)

    failure: ScoreFailure | None = None
    try:
        carried = await ctx.transcript_keys.fetch(org_id, call.transcript_key_id)
        blob = await ctx.s3.read(call.transcript)
        sealed = await asyncio.to_thread(
            _scored_from_blob,
            ctx,
            org_id=org_id,
            call=call,
            blob=blob,
            carried=carried,
            key=key,
            trackers=config.trackers,
            scorecard=config.scorecard,
        )
    except ObjectNotFound:
        failure = ScoreFailure("transcript_gone", "the transcript object is gone (erased)")
    except KeyDestroyed:  # transcribe destroyed the transcript's key: the call is erased
        failure = ScoreFailure(
            "transcript_gone", "the transcript was erased (its key is destroyed)"
        )
    except ScoreFailure as exc:
        failure = exc
    except DecryptionError as exc:
        # Wrong or missing master key: no retry helps, but a fixed key and a redrive will.
        raise PermanentError(f"call {call.call_id}: transcript does not decrypt: {exc}") from exc

    repo = ScoreRepository(session, org_id)
    if await _already_done(repo, call):  # an erasure or a duplicate committed meanwhile
        return "skipped"
    existing = await repo.get(call.call_id)
    if failure is not None:
        await _record_failure(session, repo, existing, call, failure, event_id)
        return f"failed: {failure.code}"
    rec = existing or CallScoreRecord(
        org_id=org_id, call_id=call.call_id, uploader_id=call.uploader_id, status="scored"
    )
    rec.uploader_id = call.uploader_id
    rec.language = call.language
    rec.duration = call.duration
    rec.speakers = call.speakers
    rec.role_override = None
    rec.source_event_id = event_id
    _apply(rec, sealed)
    session.add(rec)
    await repo.replace_participants(call.call_id, call.participants)
    await _emit_scored(session, rec, sealed.score)
    await session.flush()
    return "scored"


async def _already_done(repo: ScoreRepository, call: CallTranscribed) -> bool:
    """Erased (call, uploader, a participant or the org), or already scored."""
    if await repo.is_erased(
        call.call_id,
        uploader_id=call.uploader_id,
        fingerprints=[p.fingerprint for p in call.participants if p.fingerprint],
        participant_ids=[p.participant_id for p in call.participants],
    ):
        log.info("call %s was erased; call-transcribed ignored", call.call_id)
        return True
    existing = await repo.get(call.call_id)
    return existing is not None and existing.status == "scored"


# -- re-scoring ---------------------------------------------------------------------------
def _participants(rows: Sequence[CallParticipantRecord]) -> list[Participant]:
    return [Participant(role=r.role) for r in rows if r.role in ("rep", "customer")]  # type: ignore[arg-type]


def parse_override(raw: Mapping[str, Any]) -> dict[int, str]:
    """``{"0": "rep", "1": "customer"}`` → ``{0: "rep", 1: "customer"}``; 422 on nonsense."""
    if not raw:
        raise InvalidInput("roles: give at least one speaker and its role", "validation_error")
    override: dict[int, str] = {}
    for speaker, role in raw.items():
        try:
            label = int(speaker)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"roles: speaker {speaker!r} is not a speaker number", "validation_error"
            ) from None
        if role not in ("rep", "customer"):
            raise InvalidInput(
                f"roles: speaker {label} has role {role!r}; allowed: 'rep', 'customer'",
                "validation_error",
            )
        override[label] = role
    return override


@dataclass(frozen=True)
class RoleCorrection:
    """What re-scoring a call with a role correction needs, read before the slow work."""

    call: CallScoreRecord
    key: DataKey
    override: dict[int, str]
    participants: list[Participant]
    trackers: list[Tracker]
    scorecard: Scorecard


async def prepare_role_correction(
    ctx: ScoreContext, repo: ScoreRepository, rec: CallScoreRecord, override: dict[int, str]
) -> RoleCorrection:
    return RoleCorrection(
        call=rec,
        key=await ctx.keys.get(repo.session, call_key_id(rec.call_id)),
        override=override,
        participants=_participants(await repo.participants(rec.call_id)),
        trackers=await org_trackers(repo),
        scorecard=await scorecard_for_rescore(repo, rec.scorecard_id),
    )


async def compute_role_correction(ctx: ScoreContext, job: RoleCorrection) -> Sealed:
    """The slow part, in a worker thread, outside any transaction; 422 for a bad override."""

    def work() -> Sealed:
        transcript = stored_transcript(ctx, job.call, {job.key.id: job.key})
        score = score_call(
            transcript,
            participants=job.participants,
            role_override=job.override,
            trackers=job.trackers,
            scorecard=job.scorecard,
            coach=ctx.coach,
        )
        return _seal_score(
            ctx, score, org_id=job.call.org_id, call_id=job.call.call_id, key=job.key
        )

    try:
        return await asyncio.to_thread(work)
    except ScoringInputError as exc:
        raise InvalidInput(str(exc), "validation_error") from exc


async def save_role_correction(
    session: AsyncSession, job: RoleCorrection, sealed: Sealed
) -> CallScoreRecord | None:
    """Store the re-scored call and announce it; None if it was erased meanwhile."""
    rec = await ScoreRepository(session, job.call.org_id).get(job.call.call_id)
    if rec is None:
        return None
    rec.role_override = {str(k): v for k, v in sorted(job.override.items())}
    _apply(rec, sealed)
    session.add(rec)
    await _emit_scored(session, rec, sealed.score)
    await session.flush()
    return rec


def _rescored(
    ctx: ScoreContext,
    rec: CallScoreRecord,
    key: DataKey,
    *,
    scorecard: Scorecard,
    trackers: list[Tracker],
) -> Sealed:
    keys = {key.id: key}
    transcript = stored_transcript(ctx, rec, keys)
    previous = stored_score(ctx, rec, keys)
    score = rescore_call(
        transcript, previous, scorecard=scorecard, trackers=trackers, coach=ctx.coach
    )
    return _seal_score(ctx, score, org_id=rec.org_id, call_id=rec.call_id, key=key)
