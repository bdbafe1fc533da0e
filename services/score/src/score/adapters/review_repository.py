"""Queries of comments and scorecard reviews, every one scoped by the organization."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, delete, or_, update
from sqlmodel import col, select

from clashtor_common.db import OrgRepository, utcnow
from score.adapters.tables import CommentRecord, ItemReviewRecord

Note = TypeVar("Note", CommentRecord, ItemReviewRecord)
"""What a reviewer leaves on a call: a comment or a scorecard item's review."""


class ReviewRepository(OrgRepository):
    # comments ---------------------------------------------------------------------------
    async def comment(self, call_id: str, comment_id: str) -> CommentRecord | None:
        return await self.one_or_none(
            self.owned(
                CommentRecord, CommentRecord.call_id == call_id, CommentRecord.id == comment_id
            )
        )

    async def threads(
        self, call_id: str, *, limit: int, after: tuple[float, datetime, str] | None
    ) -> list[CommentRecord]:
        """Root comments of a call by moment, then time, then id; ``limit`` of them."""
        at, created, ident = (
            col(CommentRecord.at_seconds),
            col(CommentRecord.created_at),
            col(CommentRecord.id),
        )
        query = self.owned(
            CommentRecord, CommentRecord.call_id == call_id, col(CommentRecord.parent_id).is_(None)
        )
        if after is not None:
            a, c, i = after
            query = query.where(
                or_(at > a, and_(at == a, or_(created > c, and_(created == c, ident > i))))
            )
        return await self.all(query.order_by(at, created, ident).limit(limit))

    async def replies(self, call_id: str, parent_ids: Sequence[str]) -> list[CommentRecord]:
        if not parent_ids:
            return []
        query = self.owned(
            CommentRecord,
            CommentRecord.call_id == call_id,
            col(CommentRecord.parent_id).in_(list(parent_ids)),
        )
        return await self.all(query.order_by(col(CommentRecord.created_at), col(CommentRecord.id)))

    async def has_replies(self, comment_id: str) -> bool:
        rows = await self.session.execute(
            select(CommentRecord.id)
            .where(CommentRecord.org_id == self.org_id, CommentRecord.parent_id == comment_id)
            .limit(1)
        )
        return rows.first() is not None

    async def comments_of_calls(self, call_ids: Sequence[str]) -> list[CommentRecord]:
        return await self._of_calls(CommentRecord, call_ids)

    async def comments_by(self, user_id: str) -> list[CommentRecord]:
        return await self._written_by(CommentRecord, CommentRecord.author_id, user_id)

    async def comments_mentioning(self, user_id: str) -> list[CommentRecord]:
        """Comments whose mention list names ``user_id`` (filtered here: JSON differs by
        database, and an organization's comments are few)."""
        return [
            c for c in await self.all(self.owned(CommentRecord)) if user_id in (c.mentions or [])
        ]

    # reviews ----------------------------------------------------------------------------
    async def reviews(self, call_id: str) -> list[ItemReviewRecord]:
        """Every override of the call and its revert, oldest first (the audit trail)."""
        query = self.owned(ItemReviewRecord, ItemReviewRecord.call_id == call_id)
        return await self.all(
            query.order_by(col(ItemReviewRecord.created_at), col(ItemReviewRecord.id))
        )

    async def reviews_of_calls(self, call_ids: Sequence[str]) -> list[ItemReviewRecord]:
        return await self._of_calls(ItemReviewRecord, call_ids)

    async def reviews_by(self, user_id: str) -> list[ItemReviewRecord]:
        return await self._written_by(ItemReviewRecord, ItemReviewRecord.reviewer_id, user_id)

    async def _of_calls(self, table: type[Note], call_ids: Sequence[str]) -> list[Note]:
        """``table``'s rows on these calls, call by call, oldest first (a call's erasure
        and export take them with it)."""
        if not call_ids:
            return []
        query = self.owned(table, col(table.call_id).in_(call_ids))
        return await self.all(query.order_by(col(table.call_id), col(table.created_at)))

    async def _written_by(self, table: type[Note], writer: Any, user_id: str) -> list[Note]:
        """``table``'s rows whose ``writer`` column names ``user_id``, oldest first."""
        query = self.owned(table, col(writer) == user_id)
        return await self.all(query.order_by(col(table.created_at)))

    # erasure ----------------------------------------------------------------------------
    async def delete_for_calls(self, call_ids: Sequence[str]) -> tuple[int, int]:
        """Comments and reviews of ``call_ids``: (comments, reviews) removed."""
        if not call_ids:
            return 0, 0
        comments = await self.session.execute(
            delete(CommentRecord).where(
                col(CommentRecord.org_id) == self.org_id, col(CommentRecord.call_id).in_(call_ids)
            )
        )
        reviews = await self.session.execute(
            delete(ItemReviewRecord).where(
                col(ItemReviewRecord.org_id) == self.org_id,
                col(ItemReviewRecord.call_id).in_(call_ids),
            )
        )
        return comments.rowcount or 0, reviews.rowcount or 0  # type: ignore[attr-defined]

    async def forget_user(self, user_id: str) -> dict[str, int]:
        """A user's erasure: their comments go (one with replies stays as an empty,
        authorless root), their mentions leave others' lists, their reviews lose their name."""
        removed = kept_empty = 0
        for comment in await self.comments_by(user_id):
            if comment.parent_id is None and await self.has_replies(comment.id):
                comment.author_id = None
                comment.body_enc = None
                comment.mentions = []
                comment.deleted_at = comment.deleted_at or utcnow()
                kept_empty += 1
            else:
                await self.session.delete(comment)
                removed += 1
        unmentioned = 0
        for comment in await self.comments_mentioning(user_id):
            comment.mentions = [m for m in comment.mentions if m != user_id]
            unmentioned += 1
        anonymised = 0
        for column in (ItemReviewRecord.reviewer_id, ItemReviewRecord.reverted_by):
            result = await self.session.execute(
                update(ItemReviewRecord)
                .where(col(ItemReviewRecord.org_id) == self.org_id, col(column) == user_id)
                .values({column: None})
            )
            anonymised += result.rowcount or 0  # type: ignore[attr-defined]
        return {
            "comments": removed,
            "comments_emptied": kept_empty,
            "mentions": unmentioned,
            "reviews_anonymised": anonymised,
        }
