"""Calls and participants, always through one organization: no query leaves its org."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.adapters.tables import CallRecord, ErasedCall, ParticipantRecord, as_utc
from ingest.domain.errors import InvalidField


def encode_cursor(call: CallRecord) -> str:
    created = as_utc(call.created_at)
    assert created is not None
    raw = json.dumps([created.isoformat(), call.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, call_id = json.loads(raw)
        return datetime.fromisoformat(created), str(call_id)
    except (ValueError, TypeError) as exc:
        raise InvalidField("cursor is not one this API returned") from exc


class CallRepository:
    """Org-scoped access to calls and their participants within one session."""

    def __init__(self, session: AsyncSession, org_id: str) -> None:
        self.session = session
        self.org_id = org_id

    # reads -----------------------------------------------------------------------------
    async def get(self, call_id: str) -> CallRecord | None:
        result = await self.session.execute(
            select(CallRecord).where(CallRecord.org_id == self.org_id, CallRecord.id == call_id)
        )
        return result.scalars().first()

    async def get_for_update(self, call_id: str) -> CallRecord | None:
        result = await self.session.execute(
            select(CallRecord)
            .where(CallRecord.org_id == self.org_id, CallRecord.id == call_id)
            .with_for_update()
        )
        return result.scalars().first()

    async def find_by_content(self, content_hash: str) -> CallRecord | None:
        result = await self.session.execute(
            select(CallRecord).where(
                CallRecord.org_id == self.org_id, CallRecord.content_hash == content_hash
            )
        )
        return result.scalars().first()

    async def participants(self, call_ids: Sequence[str]) -> dict[str, list[ParticipantRecord]]:
        found: dict[str, list[ParticipantRecord]] = {cid: [] for cid in call_ids}
        if not call_ids:
            return found
        result = await self.session.execute(
            select(ParticipantRecord)
            .where(ParticipantRecord.org_id == self.org_id, ParticipantRecord.call_id.in_(call_ids))
            .order_by(ParticipantRecord.call_id, ParticipantRecord.position)
        )
        for row in result.scalars():
            found[row.call_id].append(row)
        return found

    async def page(
        self, *, uploaders: frozenset[str] | None, limit: int, cursor: str | None
    ) -> tuple[list[CallRecord], str | None]:
        """Newest first; ``uploaders`` None means every call of the org."""
        query = select(CallRecord).where(CallRecord.org_id == self.org_id)
        if uploaders is not None:
            query = query.where(CallRecord.uploader_id.in_(sorted(uploaders)))
        if cursor:
            created, call_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    CallRecord.created_at < created,
                    and_(CallRecord.created_at == created, CallRecord.id < call_id),
                )
            )
        query = query.order_by(CallRecord.created_at.desc(), CallRecord.id.desc()).limit(limit + 1)
        rows = list((await self.session.execute(query)).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (encode_cursor(rows[-1]) if more and rows else None)

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

    async def calls_with_participant_id(self, participant_id: str) -> list[CallRecord]:
        ids = select(ParticipantRecord.call_id).where(
            ParticipantRecord.org_id == self.org_id, ParticipantRecord.id == participant_id
        )
        return await self._calls_where(CallRecord.id.in_(ids))

    async def calls_uploaded_by(self, user_id: str) -> list[CallRecord]:
        return await self._calls_where(CallRecord.uploader_id == user_id)

    async def all_calls(self) -> list[CallRecord]:
        return await self._calls_where(True)  # type: ignore[arg-type]

    async def _calls_where(self, condition: object) -> list[CallRecord]:
        result = await self.session.execute(
            select(CallRecord)
            .where(CallRecord.org_id == self.org_id, condition)  # type: ignore[arg-type]
            .order_by(CallRecord.created_at, CallRecord.id)
        )
        return list(result.scalars())

    async def participants_with_fingerprint(self, fingerprint: str) -> list[ParticipantRecord]:
        result = await self.session.execute(
            select(ParticipantRecord).where(
                ParticipantRecord.org_id == self.org_id,
                ParticipantRecord.email_fingerprint == fingerprint,
            )
        )
        return list(result.scalars())

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

    async def delete_calls(self, call_ids: Sequence[str]) -> int:
        """Delete calls and their participants; returns how many participant rows went."""
        if not call_ids:
            return 0
        gone = await self.session.execute(
            delete(ParticipantRecord).where(
                ParticipantRecord.org_id == self.org_id, ParticipantRecord.call_id.in_(call_ids)
            )
        )
        await self.session.execute(
            delete(CallRecord).where(CallRecord.org_id == self.org_id, CallRecord.id.in_(call_ids))
        )
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
