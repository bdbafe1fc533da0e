"""Queries on the transcribe tables, every one scoped by organization."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, or_
from sqlmodel import col, select

from clashtor_common.db import OrgRepository, as_utc
from clashtor_common.events import ParticipantRef
from transcribe.adapters.tables import (
    ErasedCall,
    ErasedSubject,
    Restriction,
    TranscriptParticipant,
    TranscriptRecord,
)


class TranscriptRepository(OrgRepository):
    """One organization's view of the tables, inside the caller's transaction."""

    # calls -------------------------------------------------------------------------------
    async def get(self, call_id: str) -> TranscriptRecord | None:
        return await self.one_or_none(
            self.owned(TranscriptRecord, TranscriptRecord.call_id == call_id)
        )

    async def owner_of(self, call_id: str) -> str | None:
        """The organization a call id is recorded under, whichever it is (conflict check)."""
        record = await self.session.get(TranscriptRecord, call_id)
        return record.org_id if record else None

    async def replace_participants(self, call_id: str, people: Sequence[ParticipantRef]) -> None:
        await self.session.execute(
            delete(TranscriptParticipant).where(col(TranscriptParticipant.call_id) == call_id)
        )
        seen: set[str] = set()
        for person in people:
            if person.participant_id in seen:
                continue
            seen.add(person.participant_id)
            self.session.add(
                TranscriptParticipant(
                    call_id=call_id,
                    participant_id=person.participant_id,
                    org_id=self.org_id,
                    role=person.role,
                    fingerprint=person.fingerprint,
                )
            )

    async def participants(self, call_ids: Iterable[str]) -> dict[str, list[TranscriptParticipant]]:
        ids = list(call_ids)
        out: dict[str, list[TranscriptParticipant]] = {i: [] for i in ids}
        if not ids:
            return out
        query = self.owned(TranscriptParticipant, col(TranscriptParticipant.call_id).in_(ids))
        for row in await self.all(query):
            out[row.call_id].append(row)
        return out

    async def calls_with_participant(
        self, *, fingerprint: str | None, participant_id: str | None
    ) -> list[TranscriptRecord]:
        conditions = []
        if fingerprint:
            conditions.append(col(TranscriptParticipant.fingerprint) == fingerprint)
        if participant_id:
            conditions.append(col(TranscriptParticipant.participant_id) == participant_id)
        if not conditions:
            return []
        ids = (
            select(TranscriptParticipant.call_id)
            .where(TranscriptParticipant.org_id == self.org_id, or_(*conditions))
            .distinct()
        )
        return await self._calls(col(TranscriptRecord.call_id).in_(ids))

    async def calls_uploaded_by(self, user_id: str) -> list[TranscriptRecord]:
        return await self._calls(TranscriptRecord.uploader_id == user_id)

    async def all_calls(self) -> list[TranscriptRecord]:
        return await self._calls()

    async def _calls(self, *conditions: object) -> list[TranscriptRecord]:
        query = self.owned(TranscriptRecord, *conditions)
        return await self.all(
            query.order_by(col(TranscriptRecord.uploaded_at), col(TranscriptRecord.call_id))
        )

    async def delete_calls(self, call_ids: Sequence[str]) -> None:
        if not call_ids:
            return
        await self.session.execute(
            delete(TranscriptParticipant).where(
                col(TranscriptParticipant.org_id) == self.org_id,
                col(TranscriptParticipant.call_id).in_(call_ids),
            )
        )
        await self.session.execute(
            delete(TranscriptRecord).where(
                col(TranscriptRecord.org_id) == self.org_id,
                col(TranscriptRecord.call_id).in_(call_ids),
            )
        )

    # tombstones --------------------------------------------------------------------------
    async def call_tombstoned(self, call_id: str) -> bool:
        """An erasure left a tombstone of this call's id (whoever's subject it was)."""
        return await self.session.get(ErasedCall, call_id) is not None

    async def is_erased(
        self,
        call_id: str,
        *,
        uploader_id: str,
        participants: Sequence[ParticipantRef],
        uploaded_at: datetime,
    ) -> bool:
        """A tombstone for the call, or an erasure of one of its subjects after the upload."""
        if await self.call_tombstoned(call_id):
            return True
        keys = [("organization", self.org_id), ("user", uploader_id)]
        for person in participants:
            keys.append(("participant", person.participant_id))
            if person.fingerprint:
                keys.append(("participant", person.fingerprint))
        rows = await self.session.execute(
            select(ErasedSubject.requested_at).where(
                ErasedSubject.org_id == self.org_id,
                or_(
                    *(
                        (col(ErasedSubject.subject_type) == kind)
                        & (col(ErasedSubject.subject_key) == key)
                        for kind, key in keys
                    )
                ),
            )
        )
        return any(as_utc(requested) >= uploaded_at for requested in rows.scalars().all())

    async def record_erased_calls(self, call_ids: Iterable[str], request_id: str) -> None:
        for call_id in dict.fromkeys(call_ids):
            if await self.session.get(ErasedCall, call_id) is None:
                self.session.add(
                    ErasedCall(call_id=call_id, org_id=self.org_id, request_id=request_id)
                )

    async def record_erased_subject(
        self, subject_type: str, key: str, request_id: str, requested_at: datetime
    ) -> None:
        existing = await self.session.get(ErasedSubject, (self.org_id, subject_type, key))
        if existing is None:
            self.session.add(
                ErasedSubject(
                    org_id=self.org_id,
                    subject_type=subject_type,
                    subject_key=key,
                    request_id=request_id,
                    requested_at=requested_at,
                )
            )
        elif as_utc(existing.requested_at) < requested_at:
            existing.requested_at = requested_at
            existing.request_id = request_id
            self.session.add(existing)

    # restriction -------------------------------------------------------------------------
    async def any_restricted(self, fingerprints: Iterable[str | None]) -> bool:
        wanted = [f for f in fingerprints if f]
        if not wanted:
            return False
        found = await self.session.execute(
            select(Restriction.fingerprint).where(
                Restriction.org_id == self.org_id, col(Restriction.fingerprint).in_(wanted)
            )
        )
        return found.first() is not None

    async def set_restricted(self, fingerprint: str, restricted: bool, request_id: str) -> None:
        existing = await self.session.get(Restriction, (self.org_id, fingerprint))
        if restricted and existing is None:
            self.session.add(
                Restriction(org_id=self.org_id, fingerprint=fingerprint, request_id=request_id)
            )
        elif not restricted and existing is not None:
            await self.session.delete(existing)

    async def forget_restrictions(self, fingerprint: str | None = None) -> None:
        query = delete(Restriction).where(col(Restriction.org_id) == self.org_id)
        if fingerprint:
            query = query.where(col(Restriction.fingerprint) == fingerprint)
        await self.session.execute(query)
