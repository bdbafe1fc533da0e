"""``/internal/scorecards``: methodology scorecards (read: anyone; edit: managers).

Editing a scorecard with ``?rescore=true`` starts a re-score job over the organization's
past calls scored with it (``service_layer.rescore``): the answer's ``rescore`` is the
job, whose progress ``/internal/rescore-jobs/{id}`` serves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from clashtor_common.errors import not_found
from clashtor_common.identity import CurrentIdentity
from clashtor_common.pagination import Paging, page_of
from score.adapters.repository import ScoreRepository
from score.entrypoints.deps import ContextDep, coaching_edit, transaction
from score.service_layer import config
from score.service_layer.rescore import job_view, start_job

router = APIRouter(prefix="/scorecards", tags=["scorecards"])
ScorecardId = Annotated[str, Path(min_length=1, max_length=100)]
JsonBody = Annotated[dict[str, Any], Body()]


@router.get("")
async def list_scorecards(
    identity: CurrentIdentity, ctx: ContextDep, page: Paging
) -> dict[str, Any]:
    """The organization's scorecards, oldest first, a page at a time; with none active,
    MEDDIC (the template) is used."""
    async with transaction(ctx) as session:
        repo = ScoreRepository(session, identity.org_id)
        active = await config.active_id(repo)
        rows = await repo.scorecards()
    active = active if any(r.id == active for r in rows) else None
    shown, next_cursor = page_of(
        rows,
        lambda r: (r.created_at, r.id),
        (datetime, str),
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [config.scorecard_view(r, active_id=active) for r in shown],
        "next_cursor": next_cursor,
        "active_scorecard_id": active,
        "default_template": config.DEFAULT_TEMPLATE,
    }


@router.get("/templates")
async def list_templates(identity: CurrentIdentity) -> dict[str, Any]:
    """Built-in templates (MEDDIC, BANT) an organization copies and edits."""
    return {"items": config.template_views()}


@router.post("", status_code=201)
async def create_scorecard(
    body: JsonBody, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    """``{template: meddic|bant, name?}`` or ``{name, methodology?, items: [...]}``;
    ``activate: true`` makes it the one new calls are scored with."""
    async with coaching_edit(ctx, identity) as repo:
        rec = await config.create_scorecard(repo, body)
        return config.scorecard_view(rec, active_id=await config.active_id(repo))


@router.get("/{scorecard_id}")
async def get_scorecard(
    scorecard_id: ScorecardId, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    async with transaction(ctx) as session:
        repo = ScoreRepository(session, identity.org_id)
        rec = await repo.scorecard(scorecard_id)
        if rec is None:
            raise not_found("scorecard", scorecard_id)
        return config.scorecard_view(rec, active_id=await config.active_id(repo))


@router.put("/{scorecard_id}")
async def update_scorecard(
    scorecard_id: ScorecardId,
    body: JsonBody,
    identity: CurrentIdentity,
    ctx: ContextDep,
    rescore: Annotated[bool, Query(description="re-score past calls scored with it")] = False,
) -> dict[str, Any]:
    """Edit name, methodology or items (a new version); optionally re-score past calls."""
    async with coaching_edit(ctx, identity) as repo:
        rec = await config.update_scorecard(repo, scorecard_id, body)
        view = config.scorecard_view(rec, active_id=await config.active_id(repo))
        job = (
            await start_job(repo, scorecard_id=rec.id, created_by=identity.user_id)
            if rescore
            else None
        )
    if job is not None:
        ctx.wake_rescorer()
    return {**view, "rescore": job_view(job) if job else None}


@router.post("/{scorecard_id}/activate")
async def activate_scorecard(
    scorecard_id: ScorecardId, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    """Score the organization's calls from now on with this scorecard."""
    async with coaching_edit(ctx, identity) as repo:
        rec = await config.activate_scorecard(repo, scorecard_id)
        return config.scorecard_view(rec, active_id=rec.id)


@router.delete("/{scorecard_id}", status_code=204)
async def delete_scorecard(
    scorecard_id: ScorecardId, identity: CurrentIdentity, ctx: ContextDep
) -> Response:
    """Past results keep their copy of it; if it was active, MEDDIC is used again."""
    async with coaching_edit(ctx, identity) as repo:
        await config.delete_scorecard(repo, scorecard_id)
    return Response(status_code=204)
