"""``/v1/notifications``: what happened to your calls (scored, re-scored)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from clashtor_common.pagination import Paging
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, NotificationPage, RowId
from gateway.entrypoints.views import notification_out
from gateway.service_layer import notifications

router = APIRouter(prefix="/v1/notifications", tags=["notifications"], responses=COMMON_ERRORS)
Reader = Annotated[Principal, Depends(require(Action.NOTIFICATIONS_READ))]


@router.get("", response_model=NotificationPage)
async def list_notifications(
    principal: Reader, gw: GatewayDep, page: Paging, unread: Annotated[bool, Query()] = False
) -> NotificationPage:
    """Your notifications, newest first."""
    found = await notifications.list_for(
        gw, principal, unread_only=unread, limit=page.limit, cursor=page.cursor
    )
    return NotificationPage.of(found, notification_out)


@router.post("/{notification_id}/read", status_code=204, response_class=Response)
async def mark_read(
    notification_id: RowId,
    principal: Reader,
    gw: GatewayDep,
) -> Response:
    await notifications.mark_read(gw, principal, notification_id)
    return Response(status_code=204)
