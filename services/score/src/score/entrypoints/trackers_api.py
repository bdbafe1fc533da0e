"""``/internal/trackers``: the organization's phrase trackers (read: anyone; edit: managers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response

from clashtor_common.errors import not_found
from clashtor_common.identity import CurrentIdentity
from clashtor_common.pagination import Paging, page_of
from score.adapters.repository import ScoreRepository
from score.adapters.tables import TrackerRecord
from score.context import ScoreContext
from score.entrypoints.deps import ContextDep, coaching_edit, transaction
from score.service_layer import config

router = APIRouter(prefix="/trackers", tags=["trackers"])
TrackerId = Annotated[str, Path(min_length=1, max_length=100)]
JsonBody = Annotated[dict[str, Any], Body()]


async def _tracker_rows(ctx: ScoreContext, org_id: str) -> list[TrackerRecord]:
    """The org's tracker rows (a first read copies the defaults, once: see ``config``)."""
    async with transaction(ctx) as session:
        return await config.tracker_rows(ScoreRepository(session, org_id))


@router.get("")
async def list_trackers(identity: CurrentIdentity, ctx: ContextDep, page: Paging) -> dict[str, Any]:
    """The trackers calls are scored with (the defaults, copied on first use), in their
    order, a page at a time."""
    rows = sorted(await _tracker_rows(ctx, identity.org_id), key=_tracker_key)
    shown, next_cursor = page_of(
        rows, _tracker_key, (int, str), limit=page.limit, cursor=page.cursor
    )
    return {"items": [config.tracker_view(r) for r in shown], "next_cursor": next_cursor}


def _tracker_key(rec: TrackerRecord) -> tuple[int, str]:
    return (rec.position, rec.id)


@router.post("", status_code=201)
async def create_tracker(
    body: JsonBody, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    """``{name, phrases: [...], enabled?, said_by?: any|rep|customer}``."""
    async with coaching_edit(ctx, identity) as repo:
        rec = await config.create_tracker(repo, body)
        return config.tracker_view(rec)


@router.get("/{tracker_id}")
async def get_tracker(
    tracker_id: TrackerId, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    rows = await _tracker_rows(ctx, identity.org_id)
    rec = next((r for r in rows if r.id == tracker_id), None)
    if rec is None:
        raise not_found("tracker", tracker_id)
    return config.tracker_view(rec)


@router.put("/{tracker_id}")
async def update_tracker(
    tracker_id: TrackerId, body: JsonBody, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    """Change any of name, phrases, enabled, said_by; applies to calls scored from now on."""
    async with coaching_edit(ctx, identity) as repo:
        rec = await config.update_tracker(repo, tracker_id, body)
        return config.tracker_view(rec)


@router.delete("/{tracker_id}", status_code=204)
async def delete_tracker(
    tracker_id: TrackerId, identity: CurrentIdentity, ctx: ContextDep
) -> Response:
    async with coaching_edit(ctx, identity) as repo:
        await config.delete_tracker(repo, tracker_id)
    return Response(status_code=204)
