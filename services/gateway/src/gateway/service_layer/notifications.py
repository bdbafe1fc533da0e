"""In-app notifications: a scored or failed call tells its uploader; a comment tells whom
it mentions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import utcnow
from clashtor_common.domain_errors import NotFound
from clashtor_common.events import CallFailed, CallScored, CommentMentioned
from gateway.adapters.tables import Notification, User
from gateway.context import Gateway
from gateway.domain.principal import Principal
from gateway.service_layer.pages import by_creation

CALL_SCORED = "call_scored"
CALL_FAILED = "call_failed"
MENTIONED = "mentioned"


async def record_call_scored(session: AsyncSession, org_id: str, scored: CallScored) -> bool:
    """One notification per uploader and call; a re-score refreshes it and marks it unread."""
    data = {"overall_score": scored.overall_score, "scorecard": scored.scorecard}
    return await _notify(session, org_id, scored.uploader_id, CALL_SCORED, scored.call_id, data)


async def record_call_failed(session: AsyncSession, org_id: str, failed: CallFailed) -> bool:
    """Tell the uploader their call could not be processed: the stage and the code (the
    reason may quote the engine at length; the call page shows it in full)."""
    if failed.uploader_id is None:
        return False  # a v1 event from before call-failed named the uploader
    data = {"stage": failed.stage, "code": failed.code}
    return await _notify(session, org_id, failed.uploader_id, CALL_FAILED, failed.call_id, data)


async def record_mention(session: AsyncSession, org_id: str, mention: CommentMentioned) -> int:
    """One notification per mentioned user and call (the latest mention there); users of
    another organization are nobody to tell."""
    data = {
        "comment_id": mention.comment_id,
        "author_id": mention.author_id,
        "at_seconds": mention.at_seconds,
    }
    told = 0
    for user_id in mention.mentioned_user_ids:
        told += await _notify(session, org_id, user_id, MENTIONED, mention.call_id, data)
    return told


async def _notify(
    session: AsyncSession,
    org_id: str,
    user_id: str,
    kind: str,
    call_id: str,
    data: dict[str, Any],
) -> bool:
    """One notification per user, kind and call; a repeat refreshes it and marks it unread."""
    user = await session.get(User, user_id)
    if user is None or user.org_id != org_id:
        return False  # the uploader left or was erased: nobody to tell
    existing = (
        await session.execute(
            select(Notification).where(
                Notification.user_id == user.id,
                Notification.kind == kind,
                Notification.call_id == call_id,
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            Notification(org_id=org_id, user_id=user.id, kind=kind, call_id=call_id, data=data)
        )
    else:
        existing.data = data
        existing.created_at = utcnow()
        existing.read_at = None
    return True


async def list_for(
    gw: Gateway, principal: Principal, *, unread_only: bool, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None]:
    """The caller's notifications, newest first, a page at a time."""
    query = select(Notification).where(
        Notification.org_id == principal.org_id, Notification.user_id == principal.user_id
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))  # type: ignore[union-attr]
    return await by_creation(gw, query, Notification, limit=limit, cursor=cursor, newest_first=True)


async def mark_read(gw: Gateway, principal: Principal, notification_id: str) -> None:
    async with gw.db.session() as session:
        row = await session.get(Notification, notification_id)
        if row is None or row.org_id != principal.org_id or row.user_id != principal.user_id:
            raise NotFound.of("notification", notification_id)
        if row.read_at is None:
            row.read_at = utcnow()
