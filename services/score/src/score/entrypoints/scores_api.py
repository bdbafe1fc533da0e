"""``/internal/scores``: a call's score, and the user's correction of who is the rep.

A score answers with an ``ETag``; sent back in ``If-None-Match`` (the gateway does, for
the parts of the call views it holds), it gets a bodiless 304 while the score, its
review and its roles are unchanged: nothing is sent, and the gateway neither parses nor
assembles it again. Without a review's overrides the view is a function of the row
alone, so the tag is a hash of the row (its sealed result included) and a current one
is answered before anything is decrypted; with overrides (whose who, when and why come
from the review rows) it is a hash of the body.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.crypto import DataKeys
from clashtor_common.datakeys import call_key_id
from clashtor_common.errors import ApiError, not_found
from clashtor_common.etags import ETAG, matches, strong_etag
from clashtor_common.identity import CurrentIdentity, Identity
from score.adapters.repository import ScoreRepository
from score.adapters.tables import CallScoreRecord
from score.context import ScoreContext
from score.domain.access import can_correct_roles, can_see
from score.entrypoints.deps import ContextDep, transaction
from score.service_layer.reviews import reviewed_result
from score.service_layer.scoring import (
    compute_role_correction,
    parse_override,
    prepare_role_correction,
    save_role_correction,
    stored_result_json,
)
from score.service_layer.views import score_view

router = APIRouter(prefix="/scores", tags=["scores"])
CallId = Annotated[str, Path(min_length=1, max_length=100)]


async def _visible(repo: ScoreRepository, identity: Identity, call_id: str) -> CallScoreRecord:
    rec = await repo.get(call_id)
    if rec is None or not can_see(identity, rec.uploader_id):
        raise not_found("score of call", call_id)
    return rec


async def _view(
    ctx: ScoreContext, session: AsyncSession, rec: CallScoreRecord, keys: DataKeys
) -> dict[str, Any]:
    """The score with its scorecard as reviewed (overrides applied, automatic values kept)."""
    result = await asyncio.to_thread(stored_result_json, ctx, rec, keys)
    return score_view(rec, await reviewed_result(ctx, session, rec, result))


def _row_etag(rec: CallScoreRecord) -> str:
    """The tag of a score without overrides: every column of its row, the sealed result's
    bytes included (a re-score, a role correction or a status change is a new tag)."""
    columns = rec.model_dump(mode="json", exclude={"result_enc", "transcript_enc"})
    return strong_etag(
        b"row", json.dumps(columns, sort_keys=True).encode(), bytes(rec.result_enc or b"")
    )


@router.get(
    "/{call_id}",
    response_model=dict[str, Any],
    responses={304: {"description": "unchanged since the ETag sent in If-None-Match"}},
)
async def get_score(
    call_id: CallId,
    identity: CurrentIdentity,
    ctx: ContextDep,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    """Roles, metrics, tracker hits, scorecard result and coaching feedback of one call."""
    async with transaction(ctx) as session:
        rec = await _visible(ScoreRepository(session, identity.org_id), identity, call_id)
        etag = None if rec.item_overrides else _row_etag(rec)
        if etag is not None and matches(if_none_match, etag):
            return Response(status_code=304, headers={ETAG: etag})
        keys = await ctx.keys.load(session, [call_key_id(call_id)])
        view = await _view(ctx, session, rec, keys)
    answer = JSONResponse(jsonable_encoder(view))
    etag = etag or strong_etag(bytes(answer.body))
    if matches(if_none_match, etag):
        return Response(status_code=304, headers={ETAG: etag})
    answer.headers[ETAG] = etag
    return answer


@router.put("/{call_id}/roles")
async def correct_roles(
    call_id: CallId,
    identity: CurrentIdentity,
    ctx: ContextDep,
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """``{"roles": {"0": "rep", "1": "customer"}}`` (or the bare mapping): score again.

    The mapping replaces any earlier correction; speakers it leaves out are inferred as
    usual. The call is re-scored with its scorecard and announced again (call-scored).
    """
    raw = body.get("roles", body)
    if not isinstance(raw, dict):
        raise ApiError(422, "validation_error", "roles must map speaker numbers to roles")
    override = parse_override(raw)
    async with transaction(ctx) as session:
        repo = ScoreRepository(session, identity.org_id)
        rec = await _visible(repo, identity, call_id)
        if not can_correct_roles(identity):
            raise ApiError(403, "forbidden", f"role {identity.role!r} cannot correct call roles")
        if rec.status != "scored":
            raise ApiError(
                409, "conflict", f"call {call_id} has no score to correct ({rec.status})"
            )
        job = await prepare_role_correction(ctx, repo, rec, override)
    sealed = await compute_role_correction(ctx, job)  # slow: outside any transaction
    async with transaction(ctx) as session:
        saved = await save_role_correction(session, job, sealed)
        if saved is None:
            raise not_found("score of call", call_id)
        return await _view(ctx, session, saved, {job.key.id: job.key})
