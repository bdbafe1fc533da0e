"""The durable transcription queue: admitted ``call-uploaded`` events, leased to workers.

``admit`` runs in the consumer's transaction (beside the inbox record); ``claim`` picks
the next job by ``domain.fairness`` and leases it in a short transaction of its own
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never take the same job); the
worker deletes the job with ``finish`` in the transaction that stores its result.

Every claim writes a new ``lease_token`` and every later step of that worker (``renew``,
``retry_later``, ``finish``) names it: a worker whose lease ran out (a database outage
longer than the lease, a stalled process) and whose job another worker claimed since
finds its token gone, so its renewal says False (the worker stops) and its finish
deletes nothing (the worker rolls its outcome back). Without the token the stale worker
would store its result over the newer one and announce the call a second time.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, Update, delete, event, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.db import Database, as_utc, utcnow
from clashtor_common.events import CallUploaded, Envelope, Subject, parse_envelope
from clashtor_common.telemetry import current_trace_carrier
from transcribe.adapters.tables import JobSubject, OrgTurn, TranscriptionJob
from transcribe.domain.fairness import next_org


@dataclass(frozen=True)
class Claim:
    """A job leased to this worker until ``leased_until`` (renew it to keep it)."""

    call_id: str
    envelope: Envelope
    attempts: int
    raw: bytes
    trace: dict[str, str]
    token: str
    """This lease's fence: the job is still ours while its row carries it."""


class LeaseLost(Exception):
    """The job is no longer this claim's: another worker claimed it, or it is done."""


class JobQueue:
    def __init__(self, db: Database, *, lease: timedelta, fair: bool = True) -> None:
        self.db = db
        self.lease = lease
        self.fair = fair
        self.arrived = asyncio.Event()
        """Set when a transaction that admitted a job commits (this process's workers
        wake at once; other replicas find it on their next poll)."""

    async def admit(self, session: AsyncSession, envelope: Envelope, call_id: str) -> bool:
        """Queue ``envelope`` for ``call_id`` in the caller's transaction; False if that call
        is already queued (a twin upload: the queued job decides for both)."""
        if await session.get(TranscriptionJob, call_id) is not None:
            return False
        session.add(
            TranscriptionJob(
                call_id=call_id,
                org_id=envelope.org_id,
                event_id=str(envelope.id),
                envelope=envelope.to_bytes().decode(),
                trace=current_trace_carrier(),
            )
        )
        await session.flush()
        upload = envelope.payload_as(CallUploaded)
        session.add_all(
            JobSubject(call_id=call_id, subject_type=kind, subject_key=key, org_id=envelope.org_id)
            for kind, key in sorted(subjects_of(upload))
        )
        await session.flush()
        event.listen(session.sync_session, "after_commit", self._wake, once=True)
        return True

    def _wake(self, _session: object) -> None:
        self.arrived.set()

    async def claim(self, now: datetime | None = None) -> Claim | None:
        """Lease the next job (organizations take turns); None if none is ready."""
        for _ in range(5):  # another replica may take the chosen job first: choose again
            async with self.db.session() as session:
                at = now or utcnow()
                org = await self._next_org(session, at)
                if org is None:
                    return None
                query = (
                    select(TranscriptionJob)
                    .where(col(TranscriptionJob.org_id) == org, _ready(at))
                    .order_by(col(TranscriptionJob.queued_at), col(TranscriptionJob.call_id))
                    .limit(1)
                )
                if not self.db.is_sqlite:
                    query = query.with_for_update(skip_locked=True)
                job = (await session.execute(query)).scalars().first()
                if job is None:
                    continue
                job.leased_until = at + self.lease
                job.lease_token = uuid.uuid4().hex
                session.add(job)
                turn = await session.get(OrgTurn, org)
                if turn is None:
                    session.add(OrgTurn(org_id=org, served_at=at))
                else:
                    turn.served_at = at
                    session.add(turn)
                raw = job.envelope.encode()
                return Claim(
                    job.call_id,
                    parse_envelope(raw),
                    job.attempts,
                    raw,
                    dict(job.trace),
                    job.lease_token,
                )
        return None

    async def _next_org(self, session: AsyncSession, at: datetime) -> str | None:
        rows = await session.execute(
            select(TranscriptionJob.org_id, func.min(TranscriptionJob.queued_at))
            .where(_ready(at))
            .group_by(col(TranscriptionJob.org_id))
        )
        oldest = {org: as_utc(queued) for org, queued in rows.all()}
        if not oldest:
            return None
        served: dict[str, datetime] = {}
        if self.fair:
            turns = await session.execute(
                select(OrgTurn.org_id, OrgTurn.served_at).where(col(OrgTurn.org_id).in_(oldest))
            )
            served = {org: as_utc(at) for org, at in turns.all()}
        return next_org(oldest, served, fair=self.fair)

    async def renew(self, claim: Claim) -> bool:
        """Push the lease ahead while the work goes on; False if the job is no longer
        this claim's (another worker claimed it after the lease ran out, or it is done)."""
        async with self.db.session() as session:
            return await _fenced(
                session, claim, update(TranscriptionJob).values(leased_until=utcnow() + self.lease)
            )

    async def retry_later(self, claim: Claim, delay: float, error: str, *, failed: bool) -> bool:
        """Give the job back, ready again after ``delay`` seconds; ``failed`` counts the
        attempt (a transient fault does not). False (nothing changed) if the lease was lost."""
        values: dict[str, object] = {
            "leased_until": utcnow() + timedelta(seconds=delay),
            "last_error": error[:500],
        }
        if failed:
            values["attempts"] = TranscriptionJob.attempts + 1
        async with self.db.session() as session:
            return await _fenced(session, claim, update(TranscriptionJob).values(**values))

    @staticmethod
    async def finish(session: AsyncSession, claim: Claim) -> bool:
        """Remove the job, in the transaction that stores its outcome; False if the lease
        was lost (nothing removed: the caller must not commit its outcome)."""
        return await _fenced(session, claim, delete(TranscriptionJob))

    @staticmethod
    async def queued(session: AsyncSession, org_id: str) -> list[Envelope]:
        """The events of an organization's queued calls (running ones included)."""
        rows = await session.execute(
            select(TranscriptionJob.envelope).where(col(TranscriptionJob.org_id) == org_id)
        )
        return [parse_envelope(raw) for raw in rows.scalars().all()]

    @staticmethod
    async def queued_about(session: AsyncSession, org_id: str, subject: Subject) -> list[Envelope]:
        """The events of the organization's queued calls that are about ``subject`` (by
        the call id, or the ``transcribe_job_subjects`` index), running ones included."""
        query = select(TranscriptionJob.envelope).where(col(TranscriptionJob.org_id) == org_id)
        if subject.type == "call":
            query = query.where(col(TranscriptionJob.call_id) == (subject.id or ""))
        elif subject.type != "organization":
            keys = subject_keys(subject)
            if not keys:
                return []
            about = select(JobSubject.call_id).where(
                col(JobSubject.org_id) == org_id,
                or_(
                    *(
                        (col(JobSubject.subject_type) == kind)
                        & (col(JobSubject.subject_key) == key)
                        for kind, key in keys
                    )
                ),
            )
            query = query.where(col(TranscriptionJob.call_id).in_(about))
        rows = await session.execute(query)
        return [parse_envelope(raw) for raw in rows.scalars().all()]

    @staticmethod
    async def forget(session: AsyncSession, org_id: str, call_ids: list[str]) -> None:
        """Remove these calls' jobs in the caller's transaction (an erasure settled them)."""
        if call_ids:
            await session.execute(
                delete(TranscriptionJob).where(
                    col(TranscriptionJob.org_id) == org_id,
                    col(TranscriptionJob.call_id).in_(call_ids),
                )
            )

    async def pending(self) -> int:
        async with self.db.session() as session:
            found = await session.execute(select(func.count()).select_from(TranscriptionJob))
            return int(found.scalar_one())


async def _fenced(session: AsyncSession, claim: Claim, statement: Update | Delete) -> bool:
    """Run ``statement`` on the claimed job only while the claim still holds it."""
    result = await session.execute(
        statement.where(
            col(TranscriptionJob.call_id) == claim.call_id,
            col(TranscriptionJob.lease_token) == claim.token,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def subjects_of(upload: CallUploaded) -> set[tuple[str, str]]:
    """The erasure keys a queued call is about: its uploader, its participants' ids and
    fingerprints (as ``TranscriptRepository.is_erased`` matches them)."""
    keys = {("user", upload.uploader_id)}
    for person in upload.participants:
        keys.add(("participant", person.participant_id))
        if person.fingerprint:
            keys.add(("participant", person.fingerprint))
    return keys


def subject_keys(subject: Subject) -> set[tuple[str, str]]:
    """The keys of a user or participant subject, to look its queued calls up by."""
    if subject.type == "user":
        return {("user", subject.id)} if subject.id else set()
    if subject.type == "participant":
        return {("participant", key) for key in (subject.id, subject.fingerprint) if key}
    return set()


def _ready(at: datetime) -> object:
    leased = col(TranscriptionJob.leased_until)
    return or_(leased.is_(None), leased <= at)
