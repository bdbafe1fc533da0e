"""``/v1/billing`` (owned by billing) and the Stripe webhook, forwarded untouched."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from clashtor_common.contracts import billing as wire
from gateway.adapters.services import json_body
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.idempotency import HEADER as IDEMPOTENCY_HEADER
from gateway.entrypoints.schemas import COMMON_ERRORS, InModel, error_responses
from gateway.entrypoints.views import forward, passthrough, webhook_body, webhook_headers

router = APIRouter(prefix="/v1/billing", tags=["billing"], responses=COMMON_ERRORS)
webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"])
Reader = Annotated[Principal, Depends(require(Action.BILLING_READ))]
Manager = Annotated[Principal, Depends(require(Action.BILLING_MANAGE))]


class CheckoutIn(InModel):
    plan: str = Field(min_length=1, max_length=100)
    success_url: str | None = Field(None, max_length=2000)
    cancel_url: str | None = Field(None, max_length=2000)


class PortalIn(InModel):
    return_url: str | None = Field(None, max_length=2000)


class PlanOut(BaseModel):
    name: str
    display_name: str
    currency: str
    seat_price_cents: int
    included_minutes: int
    overage_cents_per_minute: str | None = Field(description="a decimal string; null: no overage")
    default_seats: int
    max_upload_mb: int | None
    purchasable: bool = Field(description="false for the free plan: no checkout needed")
    current: bool


class PlansOut(BaseModel):
    plans: list[PlanOut]
    current_plan: str
    status: str


class StripeWebhookAck(BaseModel):
    received: bool
    event_id: str | None = None
    type: str | None = None
    outcome: str | None = None


@router.get("/plans", response_model=PlansOut)
async def plans(principal: Reader, gw: GatewayDep) -> Response:
    return await forward(gw, "billing", principal, "GET", "/internal/plans")


@router.get("/usage", response_model=wire.UsageOut)
async def usage(principal: Reader, gw: GatewayDep) -> Response:
    """Minutes used this period against the plan."""
    return await forward(gw, "billing", principal, "GET", "/internal/usage")


@router.post("/checkout", response_model=wire.HostedPageOut)
async def checkout(
    body: CheckoutIn, principal: Manager, gw: GatewayDep, request: Request
) -> Response:
    """A Stripe Checkout session for a plan: answers the URL to send the user to.

    Sent again with the same ``Idempotency-Key``, it answers the same session (also
    when the first answer was lost): billing derives Stripe's idempotency key from it."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    wanted = body.model_dump(exclude_none=True)
    return await forward(
        gw,
        "billing",
        principal,
        "POST",
        "/internal/checkout",
        json=wanted,
        headers={IDEMPOTENCY_HEADER: key} if key else None,
    )


@router.post("/portal", response_model=wire.HostedPageOut)
async def portal(body: PortalIn, principal: Manager, gw: GatewayDep) -> Response:
    """A Stripe customer-portal session (payment methods, invoices, cancellation)."""
    wanted = body.model_dump(exclude_none=True)
    return await forward(gw, "billing", principal, "POST", "/internal/portal", json=wanted)


@webhooks.post(
    "/stripe",
    response_model=StripeWebhookAck,
    responses=error_responses(400, 413, 502, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def stripe_webhook(request: Request, gw: GatewayDep) -> Response:
    """Stripe's events: the raw body and ``Stripe-Signature`` go to billing untouched
    (billing checks the signature; the gateway must not re-encode a byte)."""
    raw = await webhook_body(request, gw.settings.max_webhook_bytes)
    headers = webhook_headers(request, "stripe-signature")
    resp = await gw.services.request(
        "billing", "POST", "/internal/webhooks/stripe", identity=None, content=raw, headers=headers
    )
    return passthrough(resp.status_code, json_body("billing", resp))
