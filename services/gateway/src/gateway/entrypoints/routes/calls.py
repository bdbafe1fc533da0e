"""``/v1/calls``: upload (streamed through to ingest), list, one call assembled, audio, delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from clashtor_common.arrival import ArrivedTooSlowly, arriving_in_time
from clashtor_common.errors import ApiError
from clashtor_common.languages import UnknownLanguage, parse_language
from clashtor_common.multipart import FormReader, form_boundary
from clashtor_common.pagination import Cursor, Limit
from clashtor_common.upload_form import upload_request_body
from gateway.adapters.services import json_body
from gateway.context import Gateway
from gateway.domain import call_view
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.call_detail import call_view_of
from gateway.entrypoints.conditional import NOT_MODIFIED_RESPONSE, conditional_body
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.proxy import stream_through
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    AcceptedOut,
    CallListOut,
    CallOut,
    RescoredOut,
    RolesIn,
)
from gateway.entrypoints.views import forward, passthrough, with_location
from gateway.service_layer.auth import check_rate

router = APIRouter(prefix="/v1/calls", tags=["calls"], responses=COMMON_ERRORS)
CallId = Annotated[str, Path(min_length=1, max_length=100)]

_AUDIO_HEADERS = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
    "content-disposition",
)


class _UploadTooLarge(Exception):
    pass


def check_language(form: FormReader) -> bool:
    """True once the form's ``language`` part has arrived; 422 if it is not one we know.

    Checked here as well as in ingest so a bad value stops the upload as soon as the
    part passes (the file may follow it) and the answer does not depend on ingest.
    """
    if "language" not in form.fields:
        return False
    try:
        parse_language(form.fields["language"])
    except UnknownLanguage as exc:
        raise ApiError(422, "validation_error", f"body.language: {exc}") from exc
    return True


def _call_path(call_id: str, suffix: str = "") -> str:
    return f"/internal/calls/{quote(call_id, safe='')}{suffix}"


async def visible_call(gw: Gateway, principal: Principal, call_id: str) -> dict[str, Any]:
    """The call as ingest shows it to this caller; 404 when not theirs to see."""
    _, call = await gw.services.call_json(
        "ingest", "GET", _call_path(call_id), identity=principal.identity()
    )
    if not isinstance(call, dict) or "id" not in call:
        raise ApiError(502, "upstream_error", "the ingest service answered nonsense")
    return call


@router.post(
    "",
    status_code=202,
    openapi_extra=upload_request_body(),
    response_model=None,
    responses={
        202: {"model": AcceptedOut, "description": "accepted for processing"},
        200: {"model": AcceptedOut, "description": "these bytes were uploaded before"},
    },
)
async def upload_call(
    request: Request,
    principal: Annotated[Principal, Depends(require(Action.CALLS_UPLOAD))],
    gw: GatewayDep,
) -> Response:
    """Upload a recording (``multipart/form-data``: ``file``, optional ``title``,
    ``language`` and ``participants``). The body is streamed to ingest as it arrives, never held whole;
    the form's parts and text fields are limited on the way (413). A client that stops
    sending for ``GATEWAY_UPLOAD_IDLE_SECONDS`` or is still sending
    ``GATEWAY_UPLOAD_MAX_SECONDS`` after it began gets 408 ``upload_timeout`` and the
    request to ingest is closed (it would otherwise hold an ingest connection until the
    client sent again or went away)."""
    content_type = request.headers.get("content-type", "")
    if (
        not content_type.lower().startswith("multipart/form-data")
        or "boundary=" not in content_type
    ):
        raise ApiError(415, "unsupported_media_type", "upload as multipart/form-data with a file")
    await check_rate(gw, "upload", f"user:{principal.user_id}", f"org:{principal.org_id}")
    limit = gw.settings.max_upload_bytes
    headers = {"content-type": content_type}
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "bad_request", "Content-Length must be a number")
        if int(declared) > limit:
            raise ApiError(413, "payload_too_large", f"uploads are limited to {limit} bytes")
        headers["content-length"] = declared

    boundary = form_boundary(content_type)
    if boundary is None:
        raise ApiError(415, "unsupported_media_type", "upload as multipart/form-data with a file")
    # Reads the form as it passes: too many parts or oversized text fields stop the
    # upload here, after a few parts, before ingest buffers anything (issue 11, hole 5).
    form = FormReader(boundary, gw.settings.upload_form_limits(), keep=frozenset({"language"}))

    async def body() -> AsyncIterator[bytes]:
        seen = 0
        language_checked = False
        async for chunk in arriving_in_time(
            request.stream(),
            total_seconds=gw.settings.upload_max_seconds,
            idle_seconds=gw.settings.upload_idle_seconds,
        ):
            seen += len(chunk)
            if seen > limit:
                raise _UploadTooLarge
            if chunk:
                form.feed(chunk)
                language_checked = language_checked or check_language(form)
                yield chunk
        form.finish()
        check_language(form)

    try:
        resp = await gw.services.request(
            "ingest",
            "POST",
            "/internal/calls",
            identity=principal.identity(),
            content=body(),
            headers=headers,
            timeout=gw.settings.upload_timeout_seconds,
        )
    except _UploadTooLarge as exc:
        raise ApiError(413, "payload_too_large", f"uploads are limited to {limit} bytes") from exc
    except ArrivedTooSlowly as exc:
        raise ApiError(408, "upload_timeout", str(exc)) from exc
    except ClientDisconnect as exc:
        raise ApiError(400, "bad_request", "the upload was interrupted") from exc
    return with_location(passthrough(resp.status_code, json_body("ingest", resp)), "/v1/calls/{id}")


CallStatus = Literal["uploaded", "transcribing", "transcribed", "scoring", "scored", "failed"]
CallSort = Literal["newest", "oldest", "longest", "shortest"]
EVENTS_TIMEOUT_SECONDS = 3600.0
"""How long a status stream may stay open (and quiet between ingest's keep-alives)."""


@router.get("", response_model=None, responses={200: {"model": CallListOut}})
async def list_calls(
    principal: Annotated[Principal, Depends(require(Action.CALLS_READ))],
    gw: GatewayDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="text in the title or a participant's name or email"),
    ] = None,
    status: CallStatus | None = None,
    from_: Annotated[
        str | None,
        Query(alias="from", max_length=40, description="uploaded at or after (date or date-time)"),
    ] = None,
    to: Annotated[
        str | None,
        Query(max_length=40, description="uploaded before; a bare date includes that whole day"),
    ] = None,
    rep: Annotated[str | None, Query(max_length=100, description="the rep's user id")] = None,
    participant: Annotated[
        str | None,
        Query(max_length=320, description="a participant's email: the calls they took part in"),
    ] = None,
    tracker: Annotated[
        str | None,
        Query(max_length=80, description="a tracker's name (any case): calls that mention it"),
    ] = None,
    sort: CallSort = "newest",
) -> Response:
    """Calls you may see (a rep their own, a manager their team's, admins all), narrowed
    by the filters; ``next_cursor`` continues the same query."""
    params = {"limit": limit, "cursor": cursor, "q": q, "status": status}
    params |= {"from": from_, "to": to, "rep": rep, "sort": sort}
    params |= {"participant": participant, "tracker": tracker}
    status_code, body = await gw.services.call_json(
        "ingest",
        "GET",
        "/internal/calls",
        identity=principal.identity(),
        params={k: v for k, v in params.items() if v is not None},
    )
    for item in body.get("items", []) if isinstance(body, dict) else []:
        if isinstance(item, dict) and "participants" in item:
            item["participants"] = call_view.public_participants(item["participants"])
    return passthrough(status_code, body)


@router.get("/{call_id}", response_model=CallOut, responses=NOT_MODIFIED_RESPONSE)
async def get_call(
    call_id: CallId,
    principal: Annotated[Principal, Depends(require(Action.CALLS_READ))],
    gw: GatewayDep,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    """The call with its transcript, metrics, trackers, scorecard and coaching feedback.

    Answers with an ``ETag``; sent back in ``If-None-Match``, it gets a bodiless 304 while
    the call is unchanged."""
    view = await call_view_of(gw, principal, call_id)
    return conditional_body(view.body, view.etag, if_none_match)


@router.get(
    "/{call_id}/audio",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"audio/*": {}}, "description": "the decrypted recording"},
        206: {"content": {"audio/*": {}}, "description": "the requested byte range"},
        416: {"description": "range not satisfiable"},
    },
)
async def get_audio(
    call_id: CallId,
    principal: Annotated[Principal, Depends(require(Action.CALLS_READ))],
    gw: GatewayDep,
    request: Request,
) -> Response:
    """The recording, streamed. A ``Range: bytes=start-end`` header is passed through
    (206 with ``Content-Range``; 416 when it cannot be served)."""
    range_header = request.headers.get("range")
    return await stream_through(
        gw.services,
        "ingest",
        _call_path(call_id, "/audio"),
        identity=principal.identity(),
        keep_headers=_AUDIO_HEADERS,
        headers={"range": range_header} if range_header else None,
    )


@router.get(
    "/{call_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "server-sent `status` events: data is "
            '`{"id", "status", "progress_percent", "failure"}`; the current status first, '
            "then each change; the stream ends after `scored` or `failed`",
        }
    },
)
async def call_events(
    call_id: CallId,
    principal: Annotated[Principal, Depends(require(Action.CALLS_READ))],
    gw: GatewayDep,
) -> Response:
    """Follow a call's progress (uploaded → transcribing n % → transcribed → scoring →
    scored, or failed) as server-sent events, authorised like ``GET /v1/calls/{id}``."""
    return await stream_through(
        gw.services,
        "ingest",
        _call_path(call_id, "/events"),
        identity=principal.identity(),
        keep_headers=("content-type", "x-accel-buffering"),
        timeout=EVENTS_TIMEOUT_SECONDS,
    )


@router.delete(
    "/{call_id}", status_code=202, response_model=AcceptedOut, response_model_exclude_none=True
)
async def delete_call(
    call_id: CallId,
    principal: Annotated[Principal, Depends(require(Action.CALLS_DELETE))],
    gw: GatewayDep,
) -> AcceptedOut:
    """Erase the call everywhere (an erasure request for it); answers the request id.

    Ingest decides, from the caller's own identity, whether the call is theirs to see;
    only then does the gateway ask privacy, vouching for that check with the ``system``
    role (privacy does not know who owns a call) and naming the caller as requester."""
    await visible_call(gw, principal, call_id)
    _, body = await gw.services.call_json(
        "privacy",
        "POST",
        "/internal/requests/erasure",
        identity=principal.vouched_identity(),
        json={"subject": {"type": "call", "id": call_id}},
    )
    if not isinstance(body, dict) or "id" not in body:
        raise ApiError(502, "upstream_error", "the privacy service answered nonsense")
    return AcceptedOut(id=str(body["id"]))


@router.put("/{call_id}/roles", response_model=RescoredOut)
async def correct_roles(
    call_id: CallId,
    body: RolesIn,
    principal: Annotated[Principal, Depends(require(Action.CALLS_CORRECT_ROLES))],
    gw: GatewayDep,
) -> Response:
    """Correct who is the rep and who the customer; the call is scored again."""
    await visible_call(gw, principal, call_id)
    return await forward(
        gw,
        "score",
        principal,
        "PUT",
        f"/internal/scores/{quote(call_id, safe='')}/roles",
        json=body.model_dump(),
    )
