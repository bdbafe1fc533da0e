"""``/v1/webhooks``: an organization's outbound webhooks (owned by integrations).

Admins and owners subscribe URLs to events (``call.scored``, ``call.failed``,
``privacy.request.completed``); each delivery is signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``
under the ``whsec_`` secret answered once at creation and at rotation). URLs that
resolve to loopback, private, link-local or metadata addresses are refused (422
``target_refused``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, InModel
from gateway.entrypoints.views import passthrough

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=COMMON_ERRORS)
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
WebhookId = Annotated[str, Path(min_length=1, max_length=36)]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40)]
Limit = Annotated[int, Query(ge=1, le=100, description="items per page")]
Cursor = Annotated[
    str | None, Query(max_length=500, description="next_cursor of the previous page")
]
WebhookEvent = Literal["call.scored", "call.failed", "privacy.request.completed"]
BASE = "/internal/webhooks"


class WebhookIn(InModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL receiving events")
    event_types: list[WebhookEvent] = Field(min_length=1, max_length=3)
    description: str = Field("", max_length=200)


class WebhookPatch(InModel):
    url: str | None = Field(None, min_length=8, max_length=2000)
    event_types: list[WebhookEvent] | None = Field(None, min_length=1, max_length=3)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class Webhook(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    source: Literal["api", "zapier"]
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook):
    secret: str = Field(description="whsec_… signing secret; shown only in this answer")


class WebhookPage(BaseModel):
    items: list[Webhook]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


class RotatedSecret(BaseModel):
    secret: str = Field(description="the new whsec_… secret; shown only in this answer")
    previous_valid_until: datetime = Field(description="the old secret also signs until then")


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None = Field(description="the receiver's HTTP status; null: no answer")
    error: str | None
    duration_ms: int
    manual: bool


class Delivery(BaseModel):
    id: str = Field(description="the webhook-id the receiver saw")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[DeliveryAttempt]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


def _one(webhook_id: str) -> str:
    return f"{BASE}/{quote(webhook_id, safe='')}"


@router.post("", status_code=201, response_model=WebhookWithSecret)
async def create_webhook(body: WebhookIn, principal: Admin, gw: GatewayDep) -> Response:
    """Subscribe a URL to events; the signing secret is in this answer only."""
    status, out = await gw.services.call_json(
        "integrations", "POST", BASE, identity=principal.identity(), json=body.model_dump()
    )
    return passthrough(status, out)


@router.get("", response_model=WebhookPage)
async def list_webhooks(
    principal: Admin, gw: GatewayDep, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    status, out = await gw.services.call_json(
        "integrations",
        "GET",
        BASE,
        identity=principal.identity(),
        params={"limit": limit, "cursor": cursor},
    )
    return passthrough(status, out)


@router.get("/{webhook_id}", response_model=Webhook)
async def get_webhook(webhook_id: WebhookId, principal: Admin, gw: GatewayDep) -> Response:
    status, out = await gw.services.call_json(
        "integrations", "GET", _one(webhook_id), identity=principal.identity()
    )
    return passthrough(status, out)


@router.patch("/{webhook_id}", response_model=Webhook)
async def update_webhook(
    webhook_id: WebhookId, body: WebhookPatch, principal: Admin, gw: GatewayDep
) -> Response:
    """Change the URL (checked again), the events, the description, or pause it."""
    status, out = await gw.services.call_json(
        "integrations",
        "PATCH",
        _one(webhook_id),
        identity=principal.identity(),
        json=body.model_dump(exclude_unset=True),
    )
    return passthrough(status, out)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: WebhookId, principal: Admin, gw: GatewayDep) -> Response:
    """Unsubscribe: the webhook, its secret and its delivery log go."""
    status, out = await gw.services.call_json(
        "integrations", "DELETE", _one(webhook_id), identity=principal.identity()
    )
    return passthrough(status, out)


@router.post("/{webhook_id}/rotate-secret", response_model=RotatedSecret)
async def rotate_secret(webhook_id: WebhookId, principal: Admin, gw: GatewayDep) -> Response:
    """A new secret; deliveries are signed under both until the old one expires."""
    status, out = await gw.services.call_json(
        "integrations", "POST", f"{_one(webhook_id)}/rotate-secret", identity=principal.identity()
    )
    return passthrough(status, out)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    webhook_id: WebhookId,
    principal: Admin,
    gw: GatewayDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """The delivery log, newest first, with every attempt's response code."""
    status, out = await gw.services.call_json(
        "integrations",
        "GET",
        f"{_one(webhook_id)}/deliveries",
        identity=principal.identity(),
        params={"limit": limit, "cursor": cursor},
    )
    return passthrough(status, out)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=Delivery,
)
async def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, principal: Admin, gw: GatewayDep
) -> Response:
    """Send a delivery again now, with the same webhook-id."""
    path = f"{_one(webhook_id)}/deliveries/{quote(delivery_id, safe='')}/redeliver"
    status, out = await gw.services.call_json(
        "integrations", "POST", path, identity=principal.identity()
    )
    return passthrough(status, out)
