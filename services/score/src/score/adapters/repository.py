"""Queries of the score service, every one scoped by the organization it was built for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from clashtor_common.db import OrgRepository, utcnow
from clashtor_common.events import ParticipantRef
from score.adapters.tables import (
    CallParticipantRecord,
    CallScoreRecord,
    ErasedCallRecord,
    ErasedSubjectRecord,
    ObjectionRecord,
    OrgScoringRecord,
    RescoreJobRecord,
    ScorecardRecord,
    TrackerRecord,
)


class ScoreRepository(OrgRepository):
    # calls -------------------------------------------------------------------------------
    async def get(self, call_id: str) -> CallScoreRecord | None:
        return await self.one_or_none(
            self.owned(CallScoreRecord, CallScoreRecord.call_id == call_id)
        )

    async def calls(self, call_ids: Iterable[str]) -> list[CallScoreRecord]:
        ids = sorted(set(call_ids))
        if not ids:
            return []
        return await self.all(
            self.owned(CallScoreRecord, col(CallScoreRecord.call_id).in_(ids)).order_by(
                col(CallScoreRecord.created_at), col(CallScoreRecord.call_id)
            )
        )

    async def call_ids_scored_with(self, scorecard_id: str) -> list[str]:
        return await self.all(
            select(CallScoreRecord.call_id)
            .where(
                CallScoreRecord.org_id == self.org_id,
                CallScoreRecord.scorecard_id == scorecard_id,
                CallScoreRecord.status == "scored",
            )
            .order_by(col(CallScoreRecord.created_at), col(CallScoreRecord.call_id))
        )

    async def call_ids_uploaded_by(self, user_id: str) -> list[str]:
        return await self.all(
            select(CallScoreRecord.call_id).where(
                CallScoreRecord.org_id == self.org_id, CallScoreRecord.uploader_id == user_id
            )
        )

    async def all_call_ids(self) -> list[str]:
        return await self.all(
            select(CallScoreRecord.call_id).where(CallScoreRecord.org_id == self.org_id)
        )

    async def call_ids_with_participant(
        self, *, fingerprint: str | None = None, participant_id: str | None = None
    ) -> list[str]:
        query = select(CallParticipantRecord.call_id).where(
            CallParticipantRecord.org_id == self.org_id
        )
        if fingerprint:
            query = query.where(CallParticipantRecord.fingerprint == fingerprint)
        elif participant_id:
            query = query.where(CallParticipantRecord.participant_id == participant_id)
        else:
            return []
        return await self.all(query.distinct())

    async def participants(self, call_id: str) -> list[CallParticipantRecord]:
        return await self.all(
            self.owned(CallParticipantRecord, CallParticipantRecord.call_id == call_id).order_by(
                col(CallParticipantRecord.id)
            )
        )

    async def replace_participants(self, call_id: str, refs: Sequence[ParticipantRef]) -> None:
        await self.session.execute(
            delete(CallParticipantRecord).where(
                col(CallParticipantRecord.org_id) == self.org_id,
                col(CallParticipantRecord.call_id) == call_id,
            )
        )
        self.session.add_all(
            CallParticipantRecord(
                org_id=self.org_id,
                call_id=call_id,
                participant_id=ref.participant_id,
                role=ref.role,
                fingerprint=ref.fingerprint,
                user_id=ref.user_id,
            )
            for ref in refs
        )

    async def delete_calls(self, call_ids: Sequence[str]) -> tuple[int, int]:
        """Delete score rows and participant rows of ``call_ids``: (calls, participants)."""
        if not call_ids:
            return 0, 0
        people = await self.session.execute(
            delete(CallParticipantRecord).where(
                col(CallParticipantRecord.org_id) == self.org_id,
                col(CallParticipantRecord.call_id).in_(call_ids),
            )
        )
        calls = await self.session.execute(
            delete(CallScoreRecord).where(
                col(CallScoreRecord.org_id) == self.org_id,
                col(CallScoreRecord.call_id).in_(call_ids),
            )
        )
        return calls.rowcount or 0, people.rowcount or 0  # type: ignore[attr-defined]

    # tombstones --------------------------------------------------------------------------
    async def is_erased(
        self,
        call_id: str,
        *,
        uploader_id: str,
        fingerprints: Sequence[str] = (),
        participant_ids: Sequence[str] = (),
    ) -> bool:
        """Whether the call, its uploader, one of its participants or the org was erased."""
        if await self.session.get(ErasedCallRecord, (self.org_id, call_id)) is not None:
            return True
        kind, value = col(ErasedSubjectRecord.kind), col(ErasedSubjectRecord.value)
        conditions = [kind == "org", and_(kind == "user", value == uploader_id)]
        if fingerprints:
            conditions.append(and_(kind == "fingerprint", value.in_(list(fingerprints))))
        if participant_ids:
            conditions.append(and_(kind == "participant", value.in_(list(participant_ids))))
        rows = await self.session.execute(
            select(func.count())
            .select_from(ErasedSubjectRecord)
            .where(ErasedSubjectRecord.org_id == self.org_id, or_(*conditions))
        )
        return bool(rows.scalar_one())

    async def tombstone_calls(self, call_ids: Iterable[str], request_id: str) -> None:
        for call_id in sorted(set(call_ids)):
            if await self.session.get(ErasedCallRecord, (self.org_id, call_id)) is None:
                self.session.add(
                    ErasedCallRecord(org_id=self.org_id, call_id=call_id, request_id=request_id)
                )

    async def tombstone_subject(self, kind: str, value: str, request_id: str) -> None:
        if await self.session.get(ErasedSubjectRecord, (self.org_id, kind, value)) is None:
            self.session.add(
                ErasedSubjectRecord(
                    org_id=self.org_id, kind=kind, value=value, request_id=request_id
                )
            )

    # organization settings, trackers, scorecards --------------------------------------------
    async def org(self) -> OrgScoringRecord | None:
        return await self.session.get(OrgScoringRecord, self.org_id)

    async def org_for_update(self) -> OrgScoringRecord:
        """The organization's row, created on first use and locked until the transaction
        ends, so writers of its settings and trackers take turns: each reads what the one
        before it committed (``FOR UPDATE`` on PostgreSQL; on SQLite every transaction
        already holds the database's write lock, ``BEGIN IMMEDIATE``). A first use by
        two at once creates the row once: the second's insert waits for the first's
        commit and then does nothing, and its locking read finds the committed row."""
        rec = await self._locked_org()
        if rec is None:
            connection = await self.session.connection()
            insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
            await self.session.execute(
                insert(OrgScoringRecord)
                .values(org_id=self.org_id, own_trackers=False, updated_at=utcnow())
                .on_conflict_do_nothing(index_elements=["org_id"])
            )
            rec = await self._locked_org()
        assert rec is not None, "the row was just inserted"
        return rec

    async def _locked_org(self) -> OrgScoringRecord | None:
        rows = await self.session.execute(
            select(OrgScoringRecord)
            .where(OrgScoringRecord.org_id == self.org_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return rows.scalars().first()

    async def trackers(self) -> list[TrackerRecord]:
        order = col(TrackerRecord.position), col(TrackerRecord.created_at)
        return await self.all(self.owned(TrackerRecord).order_by(*order))

    async def tracker(self, tracker_id: str) -> TrackerRecord | None:
        return await self.one_or_none(self.owned(TrackerRecord, TrackerRecord.id == tracker_id))

    async def scorecards(self) -> list[ScorecardRecord]:
        order = col(ScorecardRecord.created_at), col(ScorecardRecord.id)
        return await self.all(self.owned(ScorecardRecord).order_by(*order))

    async def scorecard(self, scorecard_id: str) -> ScorecardRecord | None:
        query = self.owned(ScorecardRecord, ScorecardRecord.id == scorecard_id)
        return await self.one_or_none(query)

    async def delete_configuration(self) -> dict[str, int]:
        """Every tracker, scorecard and setting of the organization (organization erasure)."""
        counts: dict[str, int] = {}
        for name, table in (
            ("trackers", TrackerRecord),
            ("scorecards", ScorecardRecord),
            ("objections", ObjectionRecord),
            ("rescore_jobs", RescoreJobRecord),
        ):
            result = await self.session.execute(
                delete(table).where(col(table.org_id) == self.org_id)  # type: ignore[attr-defined]
            )
            counts[name] = result.rowcount or 0  # type: ignore[attr-defined]
        await self.session.execute(
            delete(OrgScoringRecord).where(col(OrgScoringRecord.org_id) == self.org_id)
        )
        return counts

    async def forget_job_starter(self, user_id: str) -> None:
        """An erased user's id leaves the re-score jobs they started (the jobs stay)."""
        await self.session.execute(
            update(RescoreJobRecord)
            .where(
                col(RescoreJobRecord.org_id) == self.org_id,
                col(RescoreJobRecord.created_by) == user_id,
            )
            .values(created_by=None)
        )

    # objections ---------------------------------------------------------------------------
    async def set_objection(self, kind: str, value: str, request_id: str, objected: bool) -> None:
        existing = await self.session.get(ObjectionRecord, (self.org_id, kind, value))
        if objected and existing is None:
            self.session.add(
                ObjectionRecord(org_id=self.org_id, kind=kind, value=value, request_id=request_id)
            )
        elif objected and existing is not None:
            existing.request_id = request_id
            existing.objected_at = utcnow()
        elif not objected and existing is not None:
            await self.session.delete(existing)

    async def objections(self) -> list[ObjectionRecord]:
        return await self.all(self.owned(ObjectionRecord))

    async def scored_call_numbers(
        self, uploaders: frozenset[str] | None
    ) -> list[
        tuple[
            str,
            str,
            float | None,
            float | None,
            float | None,
            float | None,
            float | None,
            datetime | None,
        ]
    ]:
        """(call id, uploader, overall score, talk ratio, questions, monologue, patience,
        scored at)."""
        query = sa_select(
            col(CallScoreRecord.call_id),
            col(CallScoreRecord.uploader_id),
            col(CallScoreRecord.overall_score),
            col(CallScoreRecord.talk_ratio_rep),
            col(CallScoreRecord.rep_questions),
            col(CallScoreRecord.longest_monologue_s),
            col(CallScoreRecord.patience_s),
            col(CallScoreRecord.scored_at),
        ).where(col(CallScoreRecord.org_id) == self.org_id, col(CallScoreRecord.status) == "scored")
        if uploaders is not None:
            query = query.where(col(CallScoreRecord.uploader_id).in_(sorted(uploaders)))
        rows = await self.session.execute(query)
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]

    async def participants_of(self, call_ids: Sequence[str]) -> list[CallParticipantRecord]:
        if not call_ids:
            return []
        return await self.all(
            self.owned(
                CallParticipantRecord, col(CallParticipantRecord.call_id).in_(list(call_ids))
            )
        )
