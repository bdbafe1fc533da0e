"""``/v1/billing`` (owned by billing) and the Stripe webhook, forwarded untouched."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from gateway.adapters.services import json_body
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, InModel, error_responses
from gateway.entrypoints.views import forward, passthrough, webhook_body, webhook_headers

router = APIRouter(prefix="/v1/billing", tags=["billing"], responses=COMMON_ERRORS)
webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"])
Reader = Annotated[Principal, Depends(require(Action.BILLING_READ))]
Manager = Annotated[Principal, Depends(require(Action.BILLING_MANAGE))]
_OBJECT = {200: {"model": dict[str, Any]}}


class CheckoutIn(InModel):
    plan: str = Field(min_length=1, max_length=100)
    success_url: str | None = Field(None, max_length=2000)
    cancel_url: str | None = Field(None, max_length=2000)


class PortalIn(InModel):
    return_url: str | None = Field(None, max_length=2000)


@router.get("/plans", response_model=None, responses={200: {"model": Any}})
async def plans(principal: Reader, gw: GatewayDep) -> Response:
    return await forward(gw, "billing", principal, "GET", "/internal/plans")


@router.get("/usage", response_model=None, responses=_OBJECT)
async def usage(principal: Reader, gw: GatewayDep) -> Response:
    """Minutes used this period against the plan."""
    return await forward(gw, "billing", principal, "GET", "/internal/usage")


@router.post("/checkout", response_model=None, responses=_OBJECT)
async def checkout(body: CheckoutIn, principal: Manager, gw: GatewayDep) -> Response:
    """A Stripe Checkout session for a plan: answers the URL to send the user to."""
    wanted = body.model_dump(exclude_none=True)
    return await forward(gw, "billing", principal, "POST", "/internal/checkout", json=wanted)


@router.post("/portal", response_model=None, responses=_OBJECT)
async def portal(body: PortalIn, principal: Manager, gw: GatewayDep) -> Response:
    """A Stripe customer-portal session (payment methods, invoices, cancellation)."""
    wanted = body.model_dump(exclude_none=True)
    return await forward(gw, "billing", principal, "POST", "/internal/portal", json=wanted)


@webhooks.post(
    "/stripe",
    response_model=None,
    responses={200: {"model": dict[str, Any]}, **error_responses(400, 413, 502, 503)},
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
