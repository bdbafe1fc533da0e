"""Turning rows into public response models, and forwarded bodies into responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import SQLModel

from clashtor_common.db import as_utc
from clashtor_common.errors import ApiError
from gateway.adapters.services import Service
from gateway.adapters.tables import ApiKey, Invitation, Notification, Organization, User
from gateway.context import Gateway
from gateway.domain.principal import Principal
from gateway.entrypoints.schemas import (
    ApiKeyOut,
    InvitationOut,
    MemberOut,
    MeOut,
    NotificationOut,
    OrganizationOut,
)

Out = TypeVar("Out", bound=BaseModel)


def row_out(model: type[Out], row: SQLModel) -> Out:
    """The public ``model`` of a row: its fields read from the row's attributes of the same
    names, timestamps as UTC (SQLite hands them back naive)."""
    values = {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}
    return model.model_validate(
        {k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
    )


def member_out(user: User) -> MemberOut:
    return row_out(MemberOut, user)


def me_out(user: User, org: Organization, team: tuple[str, ...]) -> MeOut:
    return MeOut(
        **member_out(user).model_dump(),
        organization=row_out(OrganizationOut, org),
        team_user_ids=list(team),
    )


def invitation_out(inv: Invitation) -> InvitationOut:
    return row_out(InvitationOut, inv)


def api_key_out(key: ApiKey) -> ApiKeyOut:
    return row_out(ApiKeyOut, key)


def notification_out(note: Notification) -> NotificationOut:
    return row_out(NotificationOut, note)


async def forward(
    gw: Gateway,
    service: Service,
    principal: Principal,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Send a public request on to the service that owns it, as ``principal``, and answer
    what the service answered."""
    status, body = await gw.services.call_json(
        service,
        method,
        path,
        identity=principal.identity(),
        json=json,
        params=params,
        headers=headers,
    )
    return passthrough(status, body)


def passthrough(status: int, body: Any) -> Response:
    """A downstream success as the public response (no body → no content)."""
    if body is None:
        return Response(status_code=204 if status in (200, 204) else status)
    return JSONResponse(body, status_code=status)


def with_location(response: Response, template: str) -> Response:
    """``Location`` of what a 201/202 created or accepted, from the ``id`` in its JSON
    body (``template`` like ``/v1/calls/{id}``); other answers are left as they are."""
    if response.status_code not in (201, 202) or not isinstance(response, JSONResponse):
        return response
    body = json.loads(bytes(response.body))
    if isinstance(body, dict) and body.get("id"):
        response.headers["location"] = template.format(id=quote(str(body["id"]), safe=""))
    return response


async def webhook_body(request: Request, limit: int) -> bytes:
    """A provider's webhook body, raw (its signature covers these bytes), at most ``limit``.

    Anyone may post a webhook: the body reaches here already bounded as it arrived
    (``body_limit``, at the larger of the body and webhook limits), never held whole
    past that."""
    raw = await request.body()
    if len(raw) > limit:
        raise ApiError(413, "payload_too_large", f"webhooks are limited to {limit} bytes")
    return raw


def webhook_headers(request: Request, *names: str) -> dict[str, str]:
    """The content type and the named provider headers, as they came."""
    headers = {"content-type": request.headers.get("content-type", "application/json")}
    for name in names:
        if (value := request.headers.get(name)) is not None:
            headers[name] = value
    return headers
