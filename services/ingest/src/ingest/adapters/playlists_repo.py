"""Playlists and their items, always through one organization: no query leaves its org."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update

from clashtor_common.db import OrgRepository
from ingest.adapters.tables import PlaylistItemRecord, PlaylistRecord


class PlaylistRepository(OrgRepository):
    """Org-scoped access to the call library within one session."""

    async def get(self, playlist_id: str, *, for_update: bool = False) -> PlaylistRecord | None:
        stmt = self.owned(PlaylistRecord, PlaylistRecord.id == playlist_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def page(
        self, *, after: tuple[datetime, str] | None, size: int, created_by: str | None = None
    ) -> list[PlaylistRecord]:
        """Newest first, keyset after (created_at, id)."""
        stmt = self.owned(PlaylistRecord)
        if created_by is not None:
            stmt = stmt.where(PlaylistRecord.created_by == created_by)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(
                    PlaylistRecord.created_at < at,
                    and_(PlaylistRecord.created_at == at, PlaylistRecord.id < last_id),
                )
            )
        stmt = stmt.order_by(PlaylistRecord.created_at.desc(), PlaylistRecord.id.desc())  # type: ignore[attr-defined]
        return await self.all(stmt.limit(size))

    async def item_counts(self, playlist_ids: Sequence[str]) -> dict[str, int]:
        if not playlist_ids:
            return {}
        rows = await self.session.execute(
            select(PlaylistItemRecord.playlist_id, func.count())
            .where(
                PlaylistItemRecord.org_id == self.org_id,
                PlaylistItemRecord.playlist_id.in_(playlist_ids),  # type: ignore[attr-defined]
            )
            .group_by(PlaylistItemRecord.playlist_id)
        )
        return {pid: int(n) for pid, n in rows.all()}

    async def items(
        self,
        playlist_id: str,
        *,
        after: tuple[int, str] | None = None,
        size: int | None = None,
    ) -> list[PlaylistItemRecord]:
        """In playlist order, keyset after (position, id)."""
        stmt = self.owned(PlaylistItemRecord, PlaylistItemRecord.playlist_id == playlist_id)
        if after is not None:
            position, last_id = after
            stmt = stmt.where(
                or_(
                    PlaylistItemRecord.position > position,
                    and_(PlaylistItemRecord.position == position, PlaylistItemRecord.id > last_id),
                )
            )
        stmt = stmt.order_by(PlaylistItemRecord.position, PlaylistItemRecord.id)
        if size is not None:
            stmt = stmt.limit(size)
        return await self.all(stmt)

    async def item(self, playlist_id: str, item_id: str) -> PlaylistItemRecord | None:
        query = self.owned(
            PlaylistItemRecord,
            PlaylistItemRecord.playlist_id == playlist_id,
            PlaylistItemRecord.id == item_id,
        )
        return await self.one_or_none(query)

    async def delete(self, playlist_id: str) -> None:
        await self.session.execute(
            delete(PlaylistItemRecord).where(
                PlaylistItemRecord.org_id == self.org_id,
                PlaylistItemRecord.playlist_id == playlist_id,
            )
        )
        await self.session.execute(
            delete(PlaylistRecord).where(
                PlaylistRecord.org_id == self.org_id, PlaylistRecord.id == playlist_id
            )
        )

    # privacy ---------------------------------------------------------------------------
    async def delete_items_of_calls(self, call_ids: Sequence[str]) -> int:
        if not call_ids:
            return 0
        gone = await self.session.execute(
            delete(PlaylistItemRecord).where(
                PlaylistItemRecord.org_id == self.org_id,
                PlaylistItemRecord.call_id.in_(call_ids),  # type: ignore[attr-defined]
            )
        )
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]

    async def forget_user(self, user_id: str) -> int:
        """The user's name leaves their playlists and items (org data stays): how many rows."""
        made = await self.session.execute(
            update(PlaylistRecord)
            .where(PlaylistRecord.org_id == self.org_id, PlaylistRecord.created_by == user_id)
            .values(created_by=None)
        )
        await self.session.execute(
            update(PlaylistItemRecord)
            .where(PlaylistItemRecord.org_id == self.org_id, PlaylistItemRecord.added_by == user_id)
            .values(added_by=None)
        )
        return int(made.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_all(self) -> int:
        await self.session.execute(
            delete(PlaylistItemRecord).where(PlaylistItemRecord.org_id == self.org_id)
        )
        gone = await self.session.execute(
            delete(PlaylistRecord).where(PlaylistRecord.org_id == self.org_id)
        )
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
