"""``/internal/rescore-jobs``: re-scoring past calls after a tracker or scorecard change.

Managers start a job (``{scorecard_id?}``: that scorecard's calls, else every scored
call of the organization); everyone may watch its progress (``total``, ``done``,
``percent``, ``status``). Another organization's job is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.identity import CurrentIdentity
from clashtor_common.pagination import Cursor
from score.adapters.repository import ScoreRepository
from score.entrypoints.deps import ContextDep, coaching_edit
from score.service_layer.rescore import get_job, job_view, list_jobs, start_job

router = APIRouter(prefix="/rescore-jobs", tags=["rescore-jobs"])
JobId = Annotated[str, Path(min_length=1, max_length=100)]


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scorecard_id: str | None = Field(
        None, max_length=100, description="only calls scored with it; none: every scored call"
    )


@router.post("", status_code=202)
async def start(body: JobIn, identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    """Re-score past calls with the rules in force now; a running job it covers stops."""
    async with coaching_edit(ctx, identity) as repo:
        job = await start_job(repo, scorecard_id=body.scorecard_id, created_by=identity.user_id)
    ctx.wake_rescorer()
    return job_view(job)


@router.get("")
async def list_all(
    identity: CurrentIdentity,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The organization's jobs, newest first: ``{items, next_cursor}``."""
    async with ctx.db.session() as session:
        page, next_cursor = await list_jobs(
            ScoreRepository(session, identity.org_id), limit=limit, cursor=cursor
        )
    return {"items": [job_view(j) for j in page], "next_cursor": next_cursor}


@router.get("/{job_id}")
async def get(job_id: JobId, identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    async with ctx.db.session() as session:
        return job_view(await get_job(ScoreRepository(session, identity.org_id), job_id))
