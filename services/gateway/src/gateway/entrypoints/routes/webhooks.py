"""``/v1/webhooks``: an organization's outbound webhooks (owned by integrations).

Admins and owners subscribe URLs to events (``call.scored``, ``call.failed``,
``privacy.request.completed``); each delivery is signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``
under the ``whsec_`` secret answered once at creation and at rotation). URLs that
resolve to loopback, private, link-local or metadata addresses are refused (422
``target_refused``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Response

from clashtor_common.contracts import webhooks as wire
from clashtor_common.pagination import Paging
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS
from gateway.entrypoints.views import forward

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=COMMON_ERRORS)
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
BASE = "/internal/webhooks"


def _one(webhook_id: str) -> str:
    return f"{BASE}/{quote(webhook_id, safe='')}"


@router.post("", status_code=201, response_model=wire.WebhookWithSecret)
async def create_webhook(body: wire.WebhookIn, principal: Admin, gw: GatewayDep) -> Response:
    """Subscribe a URL to events; the signing secret is in this answer only."""
    return await forward(gw, "integrations", principal, "POST", BASE, json=body.model_dump())


@router.get("", response_model=wire.WebhookPage)
async def list_webhooks(principal: Admin, gw: GatewayDep, page: Paging) -> Response:
    return await forward(gw, "integrations", principal, "GET", BASE, params=page.params())


@router.get("/{webhook_id}", response_model=wire.Webhook)
async def get_webhook(webhook_id: wire.WebhookId, principal: Admin, gw: GatewayDep) -> Response:
    return await forward(gw, "integrations", principal, "GET", _one(webhook_id))


@router.patch("/{webhook_id}", response_model=wire.Webhook)
async def update_webhook(
    webhook_id: wire.WebhookId, body: wire.WebhookPatch, principal: Admin, gw: GatewayDep
) -> Response:
    """Change the URL (checked again), the events, the description, or pause it."""
    return await forward(
        gw,
        "integrations",
        principal,
        "PATCH",
        _one(webhook_id),
        json=body.model_dump(exclude_unset=True),
    )


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: wire.WebhookId, principal: Admin, gw: GatewayDep) -> Response:
    """Unsubscribe: the webhook, its secret and its delivery log go."""
    return await forward(gw, "integrations", principal, "DELETE", _one(webhook_id))


@router.post("/{webhook_id}/rotate-secret", response_model=wire.RotatedSecret)
async def rotate_secret(webhook_id: wire.WebhookId, principal: Admin, gw: GatewayDep) -> Response:
    """A new secret; deliveries are signed under both until the old one expires."""
    return await forward(gw, "integrations", principal, "POST", f"{_one(webhook_id)}/rotate-secret")


@router.get("/{webhook_id}/deliveries", response_model=wire.DeliveryPage)
async def list_deliveries(
    webhook_id: wire.WebhookId, principal: Admin, gw: GatewayDep, page: Paging
) -> Response:
    """The delivery log, newest first, with every attempt's response code."""
    path = f"{_one(webhook_id)}/deliveries"
    return await forward(gw, "integrations", principal, "GET", path, params=page.params())


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=wire.Delivery,
)
async def redeliver(
    webhook_id: wire.WebhookId, delivery_id: wire.DeliveryId, principal: Admin, gw: GatewayDep
) -> Response:
    """Send a delivery again now, with the same webhook-id."""
    path = f"{_one(webhook_id)}/deliveries/{quote(delivery_id, safe='')}/redeliver"
    return await forward(gw, "integrations", principal, "POST", path)
