"""Re-score jobs: an organization's past calls re-scored after its trackers or a scorecard
changed, in the background, in batches, with progress a client can watch.

A job walks the calls it covers in call-id order. Each batch is read and re-scored
outside any transaction (CPU work in a worker thread), then written in one short
transaction together with the job's progress (``done``, ``last_call_id``) and a
``call-scored`` per call (outbox). So a restart, even ``kill -9``, resumes after the
last committed batch; a batch two workers computed at once is written only by the
first (the second finds the cursor moved). A newer job for the same calls supersedes
a running one: re-scoring always uses the rules in force when the batch is computed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, update
from sqlmodel import col, func, select

from clashtor_common.crypto import DataKey, DecryptionError
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import as_utc, utcnow
from clashtor_common.domain_errors import NotFound
from clashtor_common.pagination import creation_page
from score.adapters.repository import ScoreRepository
from score.adapters.tables import CallScoreRecord, RescoreJobRecord
from score.context import ScoreContext
from score.domain.scorecards import Scorecard
from score.domain.types import ScoringInputError
from score.service_layer.config import org_trackers, scorecard_for_rescore
from score.service_layer.scoring import (
    ScoreFailure,
    Sealed,
    _apply,
    _emit_scored,
    _rescored,
)

log = logging.getLogger(__name__)
RUNNING = "running"


def job_view(job: RescoreJobRecord) -> dict[str, Any]:
    finished = job.status != RUNNING
    percent = 100 if finished else (100 * job.done // job.total if job.total else 0)
    return {
        "id": job.id,
        "reason": job.reason,
        "scorecard_id": job.scorecard_id,
        "status": job.status,
        "total": job.total,
        "done": min(job.done, job.total),
        "rescored": job.rescored,
        "percent": min(percent, 100),
        "created_by": job.created_by,
        "created_at": as_utc(job.created_at).isoformat(),  # type: ignore[union-attr]
        "updated_at": as_utc(job.updated_at).isoformat(),  # type: ignore[union-attr]
        "finished_at": as_utc(job.finished_at).isoformat() if job.finished_at else None,  # type: ignore[union-attr]
    }


def _covered(org_id: str, scorecard_id: str | None, after: str, cutoff: Any) -> list[Any]:
    where = [
        CallScoreRecord.org_id == org_id,
        CallScoreRecord.status == "scored",
        col(CallScoreRecord.call_id) > after,
        col(CallScoreRecord.created_at) <= cutoff,
    ]
    if scorecard_id is not None:
        where.append(CallScoreRecord.scorecard_id == scorecard_id)
    return where


async def start_job(
    repo: ScoreRepository, *, scorecard_id: str | None, created_by: str | None
) -> RescoreJobRecord:
    """A job over the org's scored calls (only ``scorecard_id``'s, if given); a running
    job it covers is superseded."""
    session = repo.session
    if scorecard_id is not None and await repo.scorecard(scorecard_id) is None:
        raise NotFound.of("scorecard", scorecard_id)
    now = utcnow()
    covers = [RescoreJobRecord.org_id == repo.org_id, RescoreJobRecord.status == RUNNING]
    if scorecard_id is not None:
        covers.append(RescoreJobRecord.scorecard_id == scorecard_id)
    await session.execute(
        update(RescoreJobRecord)
        .where(and_(*covers))
        .values(status="superseded", updated_at=now, finished_at=now)
    )
    total = await session.execute(
        select(func.count())
        .select_from(CallScoreRecord)
        .where(*_covered(repo.org_id, scorecard_id, "", now))
    )
    job = RescoreJobRecord(
        id=str(uuid.uuid4()),
        org_id=repo.org_id,
        scorecard_id=scorecard_id,
        reason="scorecard" if scorecard_id else "trackers",
        status=RUNNING,
        total=int(total.scalar_one()),
        cutoff=now,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    if job.total == 0:
        job.status, job.finished_at = "completed", now
    session.add(job)
    await session.flush()
    return job


async def get_job(repo: ScoreRepository, job_id: str) -> RescoreJobRecord:
    found = await repo.session.execute(
        select(RescoreJobRecord).where(
            RescoreJobRecord.org_id == repo.org_id, RescoreJobRecord.id == job_id
        )
    )
    job = found.scalars().first()
    if job is None:
        raise NotFound.of("re-score job", job_id)
    return job


async def list_jobs(
    repo: ScoreRepository, *, limit: int, cursor: str | None
) -> tuple[list[RescoreJobRecord], str | None]:
    """Newest first, a page at a time, and the next page's cursor."""
    query = select(RescoreJobRecord).where(RescoreJobRecord.org_id == repo.org_id)
    return await creation_page(
        repo.session, query, RescoreJobRecord, limit=limit, cursor=cursor, newest_first=True
    )


# the worker -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Planned:
    call: CallScoreRecord
    key: DataKey
    scorecard: Scorecard


def _compute(ctx: ScoreContext, planned: Sequence[_Planned], trackers: Any) -> list[Sealed | None]:
    """Thread side: each call re-scored, or None where its stored data cannot be read."""
    out: list[Sealed | None] = []
    for p in planned:
        try:
            out.append(_rescored(ctx, p.call, p.key, scorecard=p.scorecard, trackers=trackers))
        except (ScoreFailure, DecryptionError, ScoringInputError) as exc:
            log.warning("re-score of call %s skipped: %s", p.call.call_id, exc)
            out.append(None)
    return out


async def run_batch(ctx: ScoreContext, job_id: str) -> bool:
    """Re-score the job's next batch; True while the job has more to do."""
    size = ctx.settings.rescore_batch_size
    async with ctx.db.session() as reads:
        job = await reads.get(RescoreJobRecord, job_id)
        if job is None or job.status != RUNNING:
            return False
        org_id, cursor = job.org_id, job.last_call_id
        repo = ScoreRepository(reads, org_id)
        rows = await reads.execute(
            select(CallScoreRecord)
            .where(*_covered(org_id, job.scorecard_id, cursor, job.cutoff))
            .order_by(col(CallScoreRecord.call_id))
            .limit(size)
        )
        calls = list(rows.scalars())
        trackers = await org_trackers(repo)
        planned = [
            _Planned(
                call=c,
                key=await ctx.keys.get(reads, call_key_id(c.call_id)),
                scorecard=await scorecard_for_rescore(repo, c.scorecard_id),
            )
            for c in calls
        ]
    results = await asyncio.to_thread(_compute, ctx, planned, trackers) if planned else []
    async with ctx.db.session() as session:
        found = await session.execute(
            select(RescoreJobRecord).where(RescoreJobRecord.id == job_id).with_for_update()
        )
        job = found.scalars().first()
        if job is None or job.status != RUNNING or job.last_call_id != cursor:
            return job is not None and job.status == RUNNING  # another worker moved it
        repo = ScoreRepository(session, org_id)
        for p, sealed in zip(planned, results, strict=True):
            current = await repo.get(p.call.call_id)
            if sealed is None or current is None or current.status != "scored":
                continue  # erased or failed meanwhile: nothing to re-score
            _apply(current, sealed)
            session.add(current)
            await _emit_scored(session, current, sealed.score)
            job.rescored += 1
        job.done += len(planned)
        job.updated_at = utcnow()
        if planned:
            job.last_call_id = planned[-1].call.call_id
        if len(planned) < size:
            job.status, job.finished_at = "completed", job.updated_at
        session.add(job)
        return job.status == RUNNING


async def run_jobs(ctx: ScoreContext) -> int:
    """Work every running job to its end, a batch of each in turn; returns batches run."""
    batches = 0
    while True:
        async with ctx.db.session() as session:
            rows = await session.execute(
                select(RescoreJobRecord.id)
                .where(RescoreJobRecord.status == RUNNING)
                .order_by(col(RescoreJobRecord.created_at))
            )
            running = list(rows.scalars())
        if not running:
            return batches
        for job_id in running:
            await run_batch(ctx, job_id)
            batches += 1
