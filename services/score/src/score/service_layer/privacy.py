"""Data-subject rights as far as score holds data: erasure, export and objection.

Whose calls a subject means:

- ``call``: that call;
- ``participant``: every call they took part in, by email fingerprint or participant id
  (kept per call from ``call-transcribed``'s participant list);
- ``user``: every call they uploaded;
- ``organization``: every call of the organization, and its trackers and scorecards.

Comments and scorecard reviews go with their call (its erasure removes them, its export
holds them). A user's erasure also removes the comments they wrote on others' calls (a
thread's first comment with replies stays, empty and authorless), takes them out of
mention lists and leaves their reviews without a name; their export holds what they
wrote, reviewed or were mentioned in.

Erasure deletes the score rows (result and stored transcript with them) and leaves
tombstones of ids and fingerprints only, so a replayed or late ``call-transcribed``
about the subject scores nothing again. Export writes one part in the shared format
(``Keyring.encrypt`` of ``{"service", "request_id", "subject", "items"}``, no associated
data) to S3 and announces it by bucket and key. An objection keeps the subject's calls
out of every aggregate (``analytics``); their own scores stay visible to them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common import rights
from clashtor_common.crypto import DataKeys
from clashtor_common.datakeys import call_key_id
from clashtor_common.events import (
    Envelope,
    Subject,
    SubjectRestricted,
    Topic,
)
from clashtor_common.exportparts import org_part_key, write_part
from clashtor_common.outbox import drop_unsent
from clashtor_common.subjects import SubjectLookups, records_for_subject
from score.adapters.repository import ScoreRepository
from score.adapters.review_repository import ReviewRepository
from score.adapters.tables import CallScoreRecord, CommentRecord, ItemReviewRecord
from score.context import ScoreContext
from score.service_layer.config import active_id, scorecard_view, tracker_view
from score.service_layer.reviews import comment_view, review_view
from score.service_layer.scoring import stored_result_json

CALL_EVENTS = (Topic.CALL_PROGRESSED.value, Topic.CALL_SCORED.value, Topic.CALL_FAILED.value)
"""This service's events about a call, dropped unsent when the call is erased."""
SERVICE = "score"
KEPT = rights.KeptRecord(
    what="ids of erased calls, users and participants (email fingerprints), no content",
    why="so a late or replayed call-transcribed about them is recognised and scores nothing",
)


async def calls_of(
    session: AsyncSession, org_id: str, subject: Subject
) -> tuple[ScoreRepository, list[str]]:
    """The organization's repository and the ids of the calls ``subject`` names; raises
    ``UnusableSubject`` for a subject score cannot look up."""
    repo = ScoreRepository(session, org_id)

    async def same(call_id: str) -> str:
        return call_id  # a score is erased by call id whether or not one was stored

    lookups = SubjectLookups(
        call=same,
        participant=lambda fp, pid: repo.call_ids_with_participant(
            fingerprint=fp, participant_id=pid
        ),
        uploader=repo.call_ids_uploaded_by,
        organization=repo.all_call_ids,
    )
    return repo, await records_for_subject(subject, org_id, lookups)


# erasure ------------------------------------------------------------------------------
async def erase_subject(
    ctx: ScoreContext, session: AsyncSession, event: Envelope, request: rights.ErasureRequested
) -> rights.ErasureCompleted:
    org_id = event.org_id
    subject = request.subject
    repo, call_ids = await calls_of(session, org_id, subject)
    removed: dict[str, int] = {}
    # the keys first: from this transaction's commit on, every copy of the sealed results
    # and transcripts (pages, WAL, backups) is noise
    keys = await ctx.keys.destroy(session, [call_key_id(c) for c in call_ids])
    objects = 0
    if subject.type == "organization":
        # Objects first: deleting is idempotent, so a retry after a crash only repeats it.
        await ctx.s3.ensure_bucket()
        objects = await ctx.s3.delete_prefix(f"orgs/{org_id}/")
    reviews = ReviewRepository(session, org_id)
    comments, item_reviews = await reviews.delete_for_calls(call_ids)
    scores, participants = await repo.delete_calls(call_ids)
    await repo.tombstone_calls(call_ids, request.request_id)
    # a call-scored or call-failed still in the outbox would announce an erased call
    await drop_unsent(session, topics=CALL_EVENTS, keys=call_ids)
    if subject.type == "participant":
        if subject.fingerprint:
            await repo.tombstone_subject("fingerprint", subject.fingerprint, request.request_id)
        if subject.id:
            await repo.tombstone_subject("participant", subject.id, request.request_id)
    elif subject.type == "user" and subject.id:
        await repo.tombstone_subject("user", subject.id, request.request_id)
        removed.update(await reviews.forget_user(subject.id))
        await repo.forget_job_starter(subject.id)
    elif subject.type == "organization":
        await repo.tombstone_subject("org", org_id, request.request_id)
        removed.update(await repo.delete_configuration())
        removed["export_objects"] = objects
    removed["comments"] = removed.get("comments", 0) + comments
    removed.update(
        {
            "scores": scores,
            "participants": participants,
            "item_reviews": item_reviews,
            "data_keys": keys,
        }
    )
    await session.flush()
    return rights.erased(request, SERVICE, removed, KEPT)


# export -------------------------------------------------------------------------------
async def export_subject(
    ctx: ScoreContext, session: AsyncSession, event: Envelope, request: rights.ExportRequested
) -> rights.ExportPartReady:
    org_id = event.org_id
    subject = request.subject
    repo, call_ids = await calls_of(session, org_id, subject)
    records = await repo.calls(call_ids)
    coaching = await _coaching_rows(session, org_id, subject, [r.call_id for r in records])
    keys = await ctx.keys.load(
        session,
        {call_key_id(c) for c in [*(r.call_id for r in records), *coaching.call_ids()]},
    )
    items: list[dict[str, Any]] = await asyncio.to_thread(
        lambda: [_call_item(ctx, rec, keys) for rec in records] + coaching.items(ctx, keys)
    )
    if subject.type == "organization":
        current = await active_id(repo)
        items += [{"kind": "tracker", **tracker_view(t)} for t in await repo.trackers()]
        items += [
            {"kind": "scorecard", **scorecard_view(s, active_id=current)}
            for s in await repo.scorecards()
        ]
    return await write_part(
        service=SERVICE,
        request=request,
        items=items,
        s3=ctx.s3,
        keyring=ctx.keyring,
        key=org_part_key(org_id, request.request_id, SERVICE),
    )


def _call_item(ctx: ScoreContext, rec: CallScoreRecord, keys: DataKeys) -> dict[str, Any]:
    result = stored_result_json(ctx, rec, keys)
    return {
        "kind": "call_score",
        "call_id": rec.call_id,
        "uploader_id": rec.uploader_id,
        "status": rec.status,
        "failure_code": rec.failure_code,
        "scored_at": rec.scored_at.isoformat() if rec.scored_at else None,
        "overall_score": rec.overall_score,
        "role_override": rec.role_override,
        "roles": result.get("roles"),
        "metrics": result.get("metrics"),
        "trackers": result.get("trackers"),
        "scorecard": result.get("scorecard"),
        "feedback": result.get("feedback"),
    }


@dataclass
class _Coaching:
    """Comments and reviews a subject's export holds: those of their calls, and for a user
    also the ones they wrote on others' calls (each once)."""

    comments: list[CommentRecord]
    reviews: list[ItemReviewRecord]

    def call_ids(self) -> set[str]:
        return {c.call_id for c in self.comments} | {r.call_id for r in self.reviews}

    def items(self, ctx: ScoreContext, keys: DataKeys) -> list[dict[str, Any]]:
        return [{"kind": "comment", **comment_view(ctx, c, keys)} for c in self.comments] + [
            {"kind": "scorecard_review", "call_id": r.call_id, **review_view(ctx, r, keys)}
            for r in self.reviews
        ]


async def _coaching_rows(
    session: AsyncSession, org_id: str, subject: Subject, call_ids: list[str]
) -> _Coaching:
    repo = ReviewRepository(session, org_id)
    comments = {c.id: c for c in await repo.comments_of_calls(call_ids)}
    reviews = {r.id: r for r in await repo.reviews_of_calls(call_ids)}
    if subject.type == "user" and subject.id:
        comments |= {c.id: c for c in await repo.comments_by(subject.id)}
        comments |= {c.id: c for c in await repo.comments_mentioning(subject.id)}
        reviews |= {r.id: r for r in await repo.reviews_by(subject.id)}
    return _Coaching(list(comments.values()), list(reviews.values()))


# objection ----------------------------------------------------------------------------
ObjectionKind = Literal["call", "fingerprint", "participant", "user", "org"]


def objection_keys(org_id: str, subject: Subject) -> list[tuple[ObjectionKind, str]]:
    if subject.type == "call" and subject.id:
        return [("call", subject.id)]
    if subject.type == "participant":
        keys: list[tuple[ObjectionKind, str]] = []
        if subject.fingerprint:
            keys.append(("fingerprint", subject.fingerprint))
        if subject.id:
            keys.append(("participant", subject.id))
        return keys
    if subject.type == "user" and subject.id:
        return [("user", subject.id)]
    if subject.type == "organization" and (subject.id in (None, org_id)):
        return [("org", org_id)]
    return []


async def record_objection(session: AsyncSession, org_id: str, change: SubjectRestricted) -> int:
    """Store (or lift) an objection; restriction alone is ingest's business, not ours."""
    if change.objected is None:
        return 0
    repo = ScoreRepository(session, org_id)
    keys = objection_keys(org_id, change.subject)
    for kind, value in keys:
        await repo.set_objection(kind, value, change.request_id, change.objected)
    return len(keys)
