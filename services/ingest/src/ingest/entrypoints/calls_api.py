"""``/internal/calls``: upload, list and read calls (the gateway maps ``/v1/calls`` here)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from clashtor_common.crypto import fingerprint
from clashtor_common.datakeys import Sealer
from clashtor_common.identity import CurrentIdentity, Identity
from clashtor_common.upload_form import EMAIL_MAX, SOURCE_HEADER, upload_request_body
from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.context import IngestContext
from ingest.domain.access import can_see
from ingest.domain.errors import CallNotFound, UploadTooLarge
from ingest.domain.listing import CallQuery, Sort, parse_bound
from ingest.domain.quota import ensure_minutes_left
from ingest.domain.status import CallStatus
from ingest.entrypoints.deps import ContextDep
from ingest.service_layer import listing
from ingest.service_layer.personal import key_ids
from ingest.service_layer.quota import quota_status
from ingest.service_layer.status_stream import status_events
from ingest.service_layer.uploads import accept_upload, clean_source
from ingest.service_layer.views import call_view
from ingest.settings import IngestSettings

router = APIRouter(tags=["calls"])

_LIMITS = IngestSettings.model_construct()
"""The default limits, for the OpenAPI document (the settings in force may differ)."""

#: Room for multipart framing and the small text fields on top of the file itself.
FORM_OVERHEAD = 256 * 1024

_UPLOAD_BODY = upload_request_body(
    title_max=_LIMITS.title_max_chars, participants_max=_LIMITS.participants_max_count
)


async def load_visible_call(
    ctx: IngestContext, identity: Identity, call_id: str
) -> tuple[CallRecord, list[ParticipantRecord], Sealer]:
    """The call if it is in the caller's org and theirs to see; 404 otherwise (no leak);
    with the data keys that open it."""
    async with ctx.db.session() as session:
        repo = CallRepository(session, identity.org_id)
        call = await repo.get(call_id)
        if call is None or not can_see(identity, call.uploader_id):
            raise CallNotFound(f"call {call_id} not found")
        participants = (await repo.participants([call.id]))[call.id]
        sealer = await ctx.keys.sealer(session, key_ids([call.id], participants))
    return call, participants, sealer


@router.post(
    "/calls",
    status_code=202,
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"description": "the same file was uploaded before: the existing call"}},
)
async def upload_call(request: Request, identity: CurrentIdentity, ctx: ContextDep) -> JSONResponse:
    """Upload a call recording (202); the same bytes again answer 200 with the existing call.

    An internal caller may name the source (``X-Clashtor-Source``): the same source
    again answers 200 with its call, or 410 ``source_erased`` once that call was erased."""
    async with ctx.db.session() as session:
        quota = await quota_status(session, ctx.settings, identity.org_id)
    ensure_minutes_left(quota.plan, quota.used_seconds)
    limit_label = f"{quota.upload_limit_mb} MB"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > quota.upload_limit_bytes + FORM_OVERHEAD:
        raise UploadTooLarge(f"the upload is larger than the {limit_label} upload limit")
    result = await accept_upload(
        ctx,
        identity,
        quota,
        request.headers.get("content-type"),
        request.stream(),
        source_ref=clean_source(request.headers.get(SOURCE_HEADER)),
    )
    return JSONResponse(result.call, status_code=202 if result.created else 200)


@router.get("/calls")
async def list_calls(
    identity: CurrentIdentity,
    ctx: ContextDep,
    limit: int = Query(20, ge=1, le=1000, description="clamped to INGEST_LIST_MAX_LIMIT"),
    cursor: str | None = Query(None, max_length=500),
    q: str | None = Query(
        None, max_length=200, description="text in the title or a participant's name or email"
    ),
    status: CallStatus | None = Query(None),
    from_: str | None = Query(
        None, alias="from", max_length=40, description="created at or after (date or date-time)"
    ),
    to: str | None = Query(
        None, max_length=40, description="created before; a bare date includes that whole day"
    ),
    rep: str | None = Query(None, max_length=100, description="the rep's user id"),
    participant: str | None = Query(
        None, max_length=EMAIL_MAX, description="a participant's email (exact, any case)"
    ),
    tracker: str | None = Query(
        None, max_length=80, description="a tracker's name: calls whose scoring mentions it"
    ),
    sort: Sort = Query("newest"),
) -> dict[str, Any]:
    """Newest first unless ``sort`` says otherwise. Reps see their calls, managers their
    team's too, admins all of the org; the filters narrow that, never widen it."""
    query = CallQuery(
        sort=sort,
        status=status,
        created_from=parse_bound(from_, field="from", end=False),
        created_to=parse_bound(to, field="to", end=True),
        rep=rep or None,
        text=(q or "").strip() or None,
        participant_fingerprint=(
            fingerprint(ctx.fingerprint_secret, participant) if participant else None
        ),
        tracker=(tracker or "").strip().casefold() or None,
    )
    limit = min(limit, ctx.settings.list_max_limit)
    return await listing.list_calls(ctx, identity, query, limit=limit, cursor=cursor)


@router.get("/calls/{call_id}")
async def get_call(call_id: str, identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    call, participants, sealer = await load_visible_call(ctx, identity, call_id)
    return call_view(sealer, call, participants)


@router.get(
    "/calls/{call_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "status changes"}},
)
async def call_events(
    call_id: str, identity: CurrentIdentity, ctx: ContextDep
) -> StreamingResponse:
    """Server-sent ``status`` events: the current status, then each change, until the
    call is ``scored`` or ``failed``. 404 (before the stream starts) for a call the
    caller may not see."""
    await load_visible_call(ctx, identity, call_id)
    return StreamingResponse(
        status_events(ctx, identity, call_id),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


@router.get("/quota")
async def get_quota(identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    """The plan in force, minutes used this period and the upload size limit."""
    async with ctx.db.session() as session:
        quota = await quota_status(session, ctx.settings, identity.org_id)
    return quota.as_dict()
