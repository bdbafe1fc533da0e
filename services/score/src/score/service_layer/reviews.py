"""Coaching on a call: comment threads with mentions, and the manager's scorecard review.

Anyone who may see a call may read and write its comments; only a comment's author
edits or deletes it. A mention is announced with ``comment-mentioned`` through the
outbox (the gateway turns it into the mentioned user's notification). A review
overrides scorecard items one by one; the call's score (``overall_score``, what lists
and analytics read) becomes the reviewed one, ``call-scored`` announces it again, and
every override and revert stays as an audit row.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.crypto import DataKey, DataKeys
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import utcnow
from clashtor_common.domain_errors import Conflict, Forbidden, InvalidInput, NotFound
from clashtor_common.events import CommentMentioned, make_event
from clashtor_common.identity import Identity
from clashtor_common.outbox import emit
from score.adapters.repository import ScoreRepository
from score.adapters.review_repository import ReviewRepository
from score.adapters.sealed import Binding, seal, unseal
from score.adapters.tables import CallScoreRecord, CommentRecord, ItemReviewRecord
from score.context import ScoreContext
from score.domain.access import can_see
from score.domain.reviews import (
    MAX_REASON_CHARS,
    CommentBody,
    check_can_review,
    check_item,
    check_moment,
    decode_cursor,
    encode_cursor,
    reviewed_scorecard,
)
from score.service_layer.scoring import announce_scored, reviewed_overall, stored_result_json

SOURCE = "score"


@dataclass(frozen=True)
class NewComment:
    body: CommentBody
    at_seconds: float | None = None
    parent_id: str | None = None


async def visible_call(session: AsyncSession, identity: Identity, call_id: str) -> CallScoreRecord:
    """The call's score row if ``identity`` may see the call; another org's id is 404 too."""
    rec = await ScoreRepository(session, identity.org_id).get(call_id)
    if rec is None or not can_see(identity, rec.uploader_id):
        raise NotFound.of("call", call_id)
    return rec


# comments -------------------------------------------------------------------------------
def _seal_body(ctx: ScoreContext, c: CommentRecord, body: CommentBody, key: DataKey) -> bytes:
    plain = json.dumps(body.model_dump(mode="json")["segments"]).encode()
    return seal(ctx.keyring, plain, Binding.of_row(c, "comment"), key)


def comment_view(ctx: ScoreContext, c: CommentRecord, keys: DataKeys) -> dict[str, Any]:
    """A comment as the API shows it; a mention of a user since erased names nobody."""
    segments: list[dict[str, Any]] = []
    if c.body_enc is not None:
        plain = unseal(ctx.keyring, c.body_enc, Binding.of_row(c, "comment"), keys)
        segments = json.loads(plain)
        for s in segments:
            if s.get("type") == "mention" and s.get("user_id") not in c.mentions:
                s["user_id"] = None
    return {
        "id": c.id,
        "call_id": c.call_id,
        "parent_id": c.parent_id,
        "author_id": c.author_id,
        "at_seconds": c.at_seconds,
        "body": {"segments": segments},
        "mentions": list(c.mentions),
        "created_at": c.created_at.isoformat(),
        "edited_at": c.edited_at.isoformat() if c.edited_at else None,
        "deleted": c.deleted_at is not None,
    }


async def list_threads(
    ctx: ScoreContext,
    session: AsyncSession,
    identity: Identity,
    call_id: str,
    *,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of the call's threads by moment (each root with its replies), resumable."""
    await visible_call(session, identity, call_id)
    repo = ReviewRepository(session, identity.org_id)
    after = decode_cursor(cursor) if cursor else None
    roots = await repo.threads(call_id, limit=limit + 1, after=after)
    more, roots = len(roots) > limit, roots[:limit]
    replies = await repo.replies(call_id, [r.id for r in roots])
    keys = await ctx.keys.load(session, [call_key_id(call_id)])

    def build() -> list[dict[str, Any]]:
        by_parent: dict[str, list[dict[str, Any]]] = {}
        for r in replies:
            by_parent.setdefault(r.parent_id or "", []).append(comment_view(ctx, r, keys))
        return [
            {**comment_view(ctx, root, keys), "replies": by_parent.get(root.id, [])}
            for root in roots
        ]

    items = await asyncio.to_thread(build)
    last = roots[-1] if more and roots else None
    return {
        "items": items,
        "next_cursor": encode_cursor(last.at_seconds, last.created_at, last.id) if last else None,
    }


async def add_comment(
    ctx: ScoreContext, session: AsyncSession, identity: Identity, call_id: str, new: NewComment
) -> dict[str, Any]:
    """A new thread at ``at_seconds`` or a reply in ``parent_id``'s thread (at its moment)."""
    rec = await visible_call(session, identity, call_id)
    repo = ReviewRepository(session, identity.org_id)
    if new.parent_id is not None:
        parent = await repo.comment(call_id, new.parent_id)
        if parent is None:
            raise NotFound.of("comment", new.parent_id)
        if parent.parent_id is not None:
            raise InvalidInput("reply to the thread's first comment", "nested_reply")
        at_seconds = parent.at_seconds
    elif new.at_seconds is None:
        raise InvalidInput("at_seconds is required for a new thread", "at_seconds_required")
    else:
        check_moment(new.at_seconds, rec.duration)
        at_seconds = new.at_seconds
    key = await ctx.keys.get(session, call_key_id(call_id))
    comment = CommentRecord(
        id=str(uuid.uuid4()),
        org_id=identity.org_id,
        call_id=call_id,
        parent_id=new.parent_id,
        author_id=identity.user_id,
        at_seconds=at_seconds,
        mentions=new.body.mentions(),
    )
    comment.body_enc = _seal_body(ctx, comment, new.body, key)
    session.add(comment)
    await _announce_mentions(session, comment, comment.mentions, identity.user_id)
    await session.flush()
    return comment_view(ctx, comment, {key.id: key})


async def edit_comment(
    ctx: ScoreContext,
    session: AsyncSession,
    identity: Identity,
    call_id: str,
    comment_id: str,
    body: CommentBody,
) -> dict[str, Any]:
    """The author rewrites their comment; people newly mentioned are told."""
    comment = await _own_comment(session, identity, call_id, comment_id)
    key = await ctx.keys.get(session, call_key_id(call_id))
    before = set(comment.mentions)
    comment.mentions = body.mentions()
    comment.body_enc = _seal_body(ctx, comment, body, key)
    comment.edited_at = utcnow()
    session.add(comment)
    added = [m for m in comment.mentions if m not in before]
    await _announce_mentions(session, comment, added, identity.user_id)
    await session.flush()
    return comment_view(ctx, comment, {key.id: key})


async def delete_comment(
    session: AsyncSession, identity: Identity, call_id: str, comment_id: str
) -> None:
    """The author removes their comment; a thread's first comment with replies stays as an
    empty "removed" root so the replies keep their place."""
    comment = await _own_comment(session, identity, call_id, comment_id)
    repo = ReviewRepository(session, identity.org_id)
    if comment.parent_id is None and await repo.has_replies(comment.id):
        comment.body_enc = None
        comment.mentions = []
        comment.deleted_at = utcnow()
        session.add(comment)
    else:
        await session.delete(comment)
    await session.flush()


async def _own_comment(
    session: AsyncSession, identity: Identity, call_id: str, comment_id: str
) -> CommentRecord:
    await visible_call(session, identity, call_id)
    comment = await ReviewRepository(session, identity.org_id).comment(call_id, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise NotFound.of("comment", comment_id)
    if comment.author_id != identity.user_id:
        raise Forbidden("only a comment's author can change or delete it", "not_author")
    return comment


async def _announce_mentions(
    session: AsyncSession, comment: CommentRecord, user_ids: list[str], author_id: str
) -> None:
    told = [u for u in user_ids if u != author_id]
    if not told:
        return
    payload = CommentMentioned(
        call_id=comment.call_id,
        comment_id=comment.id,
        author_id=author_id,
        at_seconds=comment.at_seconds,
        mentioned_user_ids=told,
    )
    await emit(
        session,
        make_event(
            payload,
            source=SOURCE,
            org_id=comment.org_id,
            key=comment.call_id,
            subject_ids=[comment.call_id, *told],
        ),
    )


# reviews ---------------------------------------------------------------------------------
def _reason(ctx: ScoreContext, r: ItemReviewRecord, keys: DataKeys) -> str | None:
    try:
        return unseal(ctx.keyring, r.reason_enc, Binding.of_row(r, "review"), keys).decode()
    except Exception:
        return None


def review_view(ctx: ScoreContext, r: ItemReviewRecord, keys: DataKeys) -> dict[str, Any]:
    return {
        "id": r.id,
        "item": r.item,
        "score": r.score,
        "automatic_score": r.automatic_score,
        "reason": _reason(ctx, r, keys),
        "reviewer_id": r.reviewer_id,
        "created_at": r.created_at.isoformat(),
        "reverted_by": r.reverted_by,
        "reverted_at": r.reverted_at.isoformat() if r.reverted_at else None,
    }


def active_reviews(reviews: list[ItemReviewRecord]) -> list[ItemReviewRecord]:
    """Per item, the latest override not reverted (``reviews`` oldest first)."""
    latest: dict[str, ItemReviewRecord] = {}
    for r in reviews:
        latest[r.item] = r
    return [r for r in latest.values() if r.reverted_at is None]


async def reviewed_result(
    ctx: ScoreContext, session: AsyncSession, rec: CallScoreRecord, result: dict[str, Any]
) -> dict[str, Any]:
    """``result`` with its scorecard as reviewed (the overrides' who, when and why)."""
    if not rec.item_overrides or not result.get("scorecard"):
        return {**result, "scorecard": reviewed_scorecard(result.get("scorecard"), [])}
    reviews = active_reviews(await ReviewRepository(session, rec.org_id).reviews(rec.call_id))
    keys = await ctx.keys.load(session, [call_key_id(rec.call_id)])
    shown = [review_view(ctx, r, keys) for r in reviews]
    return {**result, "scorecard": reviewed_scorecard(result.get("scorecard"), shown)}


async def review_of(
    ctx: ScoreContext, session: AsyncSession, identity: Identity, call_id: str
) -> dict[str, Any]:
    """The call's review: effective and automatic score, active overrides, audit trail."""
    rec = await visible_call(session, identity, call_id)
    reviews = await ReviewRepository(session, identity.org_id).reviews(call_id)
    keys = await ctx.keys.load(session, [call_key_id(call_id)])
    return _review_document(ctx, rec, reviews, keys)


def _review_document(
    ctx: ScoreContext, rec: CallScoreRecord, reviews: list[ItemReviewRecord], keys: DataKeys
) -> dict[str, Any]:
    return {
        "call_id": rec.call_id,
        "overall_score": rec.overall_score,
        "automatic_score": rec.automatic_score,
        "overrides": [review_view(ctx, r, keys) for r in active_reviews(reviews)],
        "history": [review_view(ctx, r, keys) for r in reviews],
    }


async def override_item(
    ctx: ScoreContext,
    session: AsyncSession,
    identity: Identity,
    call_id: str,
    *,
    item: str,
    score: float,
    reason: str,
) -> dict[str, Any]:
    """A reviewer replaces one item's automatic score, with the reason."""
    if not reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"reason: 1 to {MAX_REASON_CHARS} characters", "invalid_reason")
    rec, result, key = await _reviewable(ctx, session, identity, call_id)
    check_item(result.get("scorecard"), item)
    automatic = next(
        (i.get("score") for i in result["scorecard"]["items"] if i.get("key") == item), None
    )
    row = ItemReviewRecord(
        id=str(uuid.uuid4()),
        org_id=rec.org_id,
        call_id=call_id,
        item=item,
        score=score,
        automatic_score=automatic,
        reason_enc=b"",
        reviewer_id=identity.user_id,
    )
    row.reason_enc = seal(ctx.keyring, reason.strip().encode(), Binding.of_row(row, "review"), key)
    session.add(row)
    return await _rescore_reviewed(
        ctx, session, rec, result, {**(rec.item_overrides or {}), item: score}, key
    )


async def revert_item(
    ctx: ScoreContext, session: AsyncSession, identity: Identity, call_id: str, item: str
) -> dict[str, Any]:
    """Back to the automatic score for ``item``; the override stays in the history."""
    rec, result, key = await _reviewable(ctx, session, identity, call_id)
    active = {
        r.item: r
        for r in active_reviews(await ReviewRepository(session, rec.org_id).reviews(call_id))
    }
    if item not in active:
        raise NotFound(f"item {item!r} of call {call_id} has no override to revert")
    active[item].reverted_by = identity.user_id
    active[item].reverted_at = utcnow()
    session.add(active[item])
    overrides = {k: v for k, v in (rec.item_overrides or {}).items() if k != item}
    return await _rescore_reviewed(ctx, session, rec, result, overrides, key)


async def _reviewable(
    ctx: ScoreContext, session: AsyncSession, identity: Identity, call_id: str
) -> tuple[CallScoreRecord, dict[str, Any], DataKey]:
    rec = await visible_call(session, identity, call_id)
    check_can_review(identity, rec.uploader_id)
    if rec.status != "scored":
        raise Conflict(f"call {call_id} has no score to review ({rec.status})")
    key = await ctx.keys.get(session, call_key_id(call_id))
    result = await asyncio.to_thread(stored_result_json, ctx, rec, {key.id: key})
    return rec, result, key


async def _rescore_reviewed(
    ctx: ScoreContext,
    session: AsyncSession,
    rec: CallScoreRecord,
    result: dict[str, Any],
    overrides: dict[str, float],
    key: DataKey,
) -> dict[str, Any]:
    rec.item_overrides = overrides or None
    rec.overall_score = reviewed_overall(result.get("scorecard"), rec.automatic_score, overrides)
    session.add(rec)
    trackers = [t["name"] for t in result.get("trackers") or [] if t.get("count", 0) > 0]
    await announce_scored(session, rec, trackers)
    await session.flush()
    reviews = await ReviewRepository(session, rec.org_id).reviews(rec.call_id)
    return _review_document(ctx, rec, reviews, {key.id: key})
