"""Turning rows into public response models, and forwarded bodies into responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import JSONResponse

from clashtor_common.db import as_utc
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


def member_out(user: User) -> MemberOut:
    return MemberOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        manager_id=user.manager_id,
        created_at=as_utc(user.created_at),
    )


def me_out(user: User, org: Organization, team: tuple[str, ...]) -> MeOut:
    return MeOut(
        **member_out(user).model_dump(),
        organization=OrganizationOut(
            id=org.id,
            name=org.name,
            deletion_requested_at=as_utc(org.deletion_requested_at),
        ),
        team_user_ids=list(team),
    )


def invitation_out(inv: Invitation) -> InvitationOut:
    return InvitationOut(
        id=inv.id,
        email=inv.email,
        role=inv.role,  # type: ignore[arg-type]
        invited_by=inv.invited_by,
        created_at=as_utc(inv.created_at),
        expires_at=as_utc(inv.expires_at),
    )


def api_key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        role=key.role,  # type: ignore[arg-type]
        user_id=key.user_id,
        created_at=as_utc(key.created_at),
        last_used_at=as_utc(key.last_used_at),
        revoked_at=as_utc(key.revoked_at),
    )


def notification_out(note: Notification) -> NotificationOut:
    return NotificationOut(
        id=note.id,
        kind=note.kind,
        call_id=note.call_id,
        data=note.data,
        created_at=as_utc(note.created_at),
        read_at=as_utc(note.read_at),
    )


async def forward(
    gw: Gateway,
    service: Service,
    principal: Principal,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
) -> Response:
    """Send a public request on to the service that owns it, as ``principal``, and answer
    what the service answered."""
    status, body = await gw.services.call_json(
        service, method, path, identity=principal.identity(), json=json, params=params
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
