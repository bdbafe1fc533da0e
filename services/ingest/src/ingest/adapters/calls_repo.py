"""Calls and participants, always through one organization: no query leaves its org."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import OrgRepository
from ingest.adapters.tables import CallRecord, CallTrackerRecord, ErasedCall, ParticipantRecord
from ingest.domain.listing import SORTS, CallQuery


async def known_audio_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` a call row holds, in any organization (the orphan sweep's question)."""
    if not keys:
        return set()
    rows = await session.execute(select(CallRecord.s3_key).where(CallRecord.s3_key.in_(keys)))  # type: ignore[attr-defined]
    return set(rows.scalars().all())


class CallRepository(OrgRepository):
    """Org-scoped access to calls and their participants within one session."""

    # reads -----------------------------------------------------------------------------
    async def get(self, call_id: str) -> CallRecord | None:
        return await self.one_or_none(self.owned(CallRecord, CallRecord.id == call_id))

    async def get_for_update(self, call_id: str) -> CallRecord | None:
        query = self.owned(CallRecord, CallRecord.id == call_id).with_for_update()
        return await self.one_or_none(query)

    async def find_by_content(
        self, content_hash: str, *, uploaders: frozenset[str] | None
    ) -> CallRecord | None:
        """The oldest call with these bytes among ``uploaders``' (None: any uploader's)."""
        query = self.owned(CallRecord, CallRecord.content_hash == content_hash)
        if uploaders is not None:
            query = query.where(CallRecord.uploader_id.in_(sorted(uploaders)))
        return await self.one_or_none(query.order_by(CallRecord.created_at, CallRecord.id).limit(1))

    async def find_by_source(self, source_ref: str) -> CallRecord | None:
        """The call made from ``source_ref`` (unique per org)."""
        return await self.one_or_none(self.owned(CallRecord, CallRecord.source_ref == source_ref))

    async def participants(self, call_ids: Sequence[str]) -> dict[str, list[ParticipantRecord]]:
        found: dict[str, list[ParticipantRecord]] = {cid: [] for cid in call_ids}
        if not call_ids:
            return found
        query = self.owned(ParticipantRecord, ParticipantRecord.call_id.in_(call_ids))
        for row in await self.all(
            query.order_by(ParticipantRecord.call_id, ParticipantRecord.position)
        ):
            found[row.call_id].append(row)
        return found

    async def batch(
        self,
        *,
        uploaders: frozenset[str] | None,
        query: CallQuery,
        after: tuple[datetime | float, str] | None,
        size: int,
    ) -> list[CallRecord]:
        """Up to ``size`` calls in the order of ``query.sort``, after the (key, id) given.

        ``uploaders`` None means every call of the org. Text search is not applied here
        (titles and names are encrypted); the caller filters the batch and asks again."""
        column_name, descending = SORTS[query.sort]
        column = getattr(CallRecord, column_name)
        stmt = self.owned(CallRecord)
        if uploaders is not None:
            stmt = stmt.where(CallRecord.uploader_id.in_(sorted(uploaders)))
        if query.rep is not None:
            stmt = stmt.where(CallRecord.uploader_id == query.rep)
        if query.status is not None:
            stmt = stmt.where(CallRecord.status == query.status.value)
        if query.created_from is not None:
            stmt = stmt.where(CallRecord.created_at >= query.created_from)
        if query.created_to is not None:
            stmt = stmt.where(CallRecord.created_at < query.created_to)
        if query.participant_fingerprint is not None:
            fingerprint = ParticipantRecord.email_fingerprint == query.participant_fingerprint
            stmt = stmt.where(self._calls_with(ParticipantRecord, fingerprint))
        if query.tracker is not None:
            tracker = CallTrackerRecord.tracker == query.tracker
            stmt = stmt.where(self._calls_with(CallTrackerRecord, tracker))
        if after is not None:
            key, call_id = after
            if descending:
                stmt = stmt.where(or_(column < key, and_(column == key, CallRecord.id < call_id)))
            else:
                stmt = stmt.where(or_(column > key, and_(column == key, CallRecord.id > call_id)))
        order = (column.desc(), CallRecord.id.desc()) if descending else (column, CallRecord.id)
        stmt = stmt.order_by(*order).limit(size)
        return await self.all(stmt)

    def _calls_with(self, related: Any, condition: Any) -> Any:
        """Calls of this org with a ``related`` row (participant, tracker hit) matching
        ``condition``."""
        rows = select(related.call_id).where(related.org_id == self.org_id, condition)
        return CallRecord.id.in_(rows)

    async def seconds_used(self, start: datetime, end: datetime) -> float:
        """Audio seconds uploaded in ``[start, end)``, erased calls included."""
        live = await self.session.execute(
            select(func.coalesce(func.sum(CallRecord.duration), 0.0)).where(
                CallRecord.org_id == self.org_id,
                CallRecord.created_at >= start,
                CallRecord.created_at < end,
            )
        )
        erased = await self.session.execute(
            select(func.coalesce(func.sum(ErasedCall.duration), 0.0)).where(
                ErasedCall.org_id == self.org_id,
                ErasedCall.uploaded_at >= start,
                ErasedCall.uploaded_at < end,
            )
        )
        return float(live.scalar_one()) + float(erased.scalar_one())

    async def calls_with_fingerprint(self, fingerprint: str) -> list[CallRecord]:
        ids = select(ParticipantRecord.call_id).where(
            ParticipantRecord.org_id == self.org_id,
            ParticipantRecord.email_fingerprint == fingerprint,
        )
        return await self._calls_where(CallRecord.id.in_(ids))

    async def calls_with_participant(
        self, *, fingerprint: str | None, participant_id: str | None
    ) -> list[CallRecord]:
        """The calls of a participant named by email fingerprint (preferred) or id."""
        if fingerprint:
            return await self.calls_with_fingerprint(fingerprint)
        ids = select(ParticipantRecord.call_id).where(
            ParticipantRecord.org_id == self.org_id, ParticipantRecord.id == participant_id
        )
        return await self._calls_where(CallRecord.id.in_(ids))

    async def by_ids(self, call_ids: Sequence[str]) -> list[CallRecord]:
        if not call_ids:
            return []
        return await self._calls_where(CallRecord.id.in_(call_ids))  # type: ignore[attr-defined]

    async def calls_uploaded_by(self, user_id: str) -> list[CallRecord]:
        return await self._calls_where(CallRecord.uploader_id == user_id)

    async def all_calls(self) -> list[CallRecord]:
        return await self._calls_where(True)  # type: ignore[arg-type]

    async def _calls_where(self, condition: object) -> list[CallRecord]:
        query = self.owned(CallRecord, condition)
        return await self.all(query.order_by(CallRecord.created_at, CallRecord.id))

    async def participants_with_fingerprint(self, fingerprint: str) -> list[ParticipantRecord]:
        return await self.all(
            self.owned(ParticipantRecord, ParticipantRecord.email_fingerprint == fingerprint)
        )

    async def is_erased(self, call_id: str) -> bool:
        found = await self.session.execute(
            select(ErasedCall.call_id).where(
                ErasedCall.org_id == self.org_id, ErasedCall.call_id == call_id
            )
        )
        return found.first() is not None

    # writes ----------------------------------------------------------------------------
    def add(self, call: CallRecord, participants: Iterable[ParticipantRecord]) -> None:
        if call.org_id != self.org_id:
            raise ValueError("call belongs to another organization")
        self.session.add(call)
        for participant in participants:
            self.session.add(participant)

    async def replace_trackers(self, call_id: str, trackers: Iterable[str]) -> None:
        await self.session.execute(
            delete(CallTrackerRecord).where(
                CallTrackerRecord.org_id == self.org_id, CallTrackerRecord.call_id == call_id
            )
        )
        for tracker in sorted(trackers):
            self.session.add(
                CallTrackerRecord(call_id=call_id, tracker=tracker[:80], org_id=self.org_id)
            )

    async def delete_calls(self, call_ids: Sequence[str]) -> int:
        """Delete calls and their participants; returns how many participant rows went."""
        if not call_ids:
            return 0
        await self.session.execute(
            delete(CallTrackerRecord).where(
                CallTrackerRecord.org_id == self.org_id, CallTrackerRecord.call_id.in_(call_ids)
            )
        )
        gone = await self.session.execute(
            delete(ParticipantRecord).where(
                ParticipantRecord.org_id == self.org_id, ParticipantRecord.call_id.in_(call_ids)
            )
        )
        await self.session.execute(
            delete(CallRecord).where(CallRecord.org_id == self.org_id, CallRecord.id.in_(call_ids))
        )
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
