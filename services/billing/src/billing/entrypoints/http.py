"""Internal HTTP API of the billing service (reached only through the gateway).

``GET /internal/plans``, ``GET /internal/usage`` (any member of the organization),
``POST /internal/checkout`` and ``POST /internal/portal`` (owners and admins), and the
Stripe webhook (``entrypoints.webhooks``). Every query is scoped by the identity's
organization.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from billing.adapters.stripe_gateway import StripeKeyReused, StripeRejected, StripeUnavailable
from billing.adapters.tables import SubscriptionRecord
from billing.domain.plans import CURRENCY, PLANS, UnknownPlan, get_plan
from billing.domain.subscriptions import effective, iso
from billing.entrypoints.deps import BillingAdmin, ContextDep, StripeDep
from billing.entrypoints.webhooks import router as webhooks_router
from billing.service_layer.checkout import CatalogMissing, open_portal, start_checkout
from billing.service_layer.subscriptions import to_state
from billing.service_layer.usage import usage_summary
from clashtor_common.contracts import billing as wire
from clashtor_common.errors import ApiError
from clashtor_common.identity import CurrentIdentity

router = APIRouter(prefix="/internal")
T = TypeVar("T")


class PlanPublic(BaseModel):
    name: str
    display_name: str
    currency: str
    seat_price_cents: int
    included_minutes: int
    overage_cents_per_minute: str | None
    default_seats: int
    max_upload_mb: int | None
    purchasable: bool
    current: bool


class PlansPublic(BaseModel):
    plans: list[PlanPublic]
    current_plan: str
    status: str


class CheckoutRequest(BaseModel):
    plan: str = Field(description="team or business")
    seats: int = Field(1, ge=1)
    success_url: str | None = Field(None, max_length=2000)
    cancel_url: str | None = Field(None, max_length=2000)


class PortalRequest(BaseModel):
    return_url: str | None = Field(None, max_length=2000)


async def _stripe_call(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except CatalogMissing as exc:
        raise ApiError(503, "billing_catalog_missing", str(exc)) from exc
    except StripeUnavailable as exc:
        raise ApiError(503, "stripe_unavailable", f"{exc}; try again shortly") from exc
    except StripeKeyReused as exc:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request; use a new key",
        ) from exc
    except StripeRejected as exc:
        raise ApiError(502, "stripe_rejected", str(exc)) from exc


@asynccontextmanager
async def _session(request: Request) -> AsyncIterator[Any]:
    async with request.app.state.runtime.db.session() as session:
        yield session


@router.get("/plans", response_model=PlansPublic)
async def list_plans(request: Request, identity: CurrentIdentity) -> PlansPublic:
    async with _session(request) as session:
        state = to_state(await session.get(SubscriptionRecord, identity.org_id))
    eff = effective(state, int(datetime.now(UTC).timestamp()))
    return PlansPublic(
        plans=[
            PlanPublic.model_validate(
                {
                    **asdict(p),
                    "currency": CURRENCY,
                    "seat_price_cents": p.seat_amount_cents,
                    "purchasable": p.purchasable,
                    "current": p.name == eff.plan,
                }
            )
            for p in PLANS.values()
        ],
        current_plan=eff.plan,
        status=eff.status,
    )


@router.get("/usage", response_model=wire.UsageOut)
async def get_usage(request: Request, identity: CurrentIdentity) -> wire.UsageOut:
    async with _session(request) as session:
        summary = await usage_summary(session, identity.org_id, datetime.now(UTC))
    return wire.UsageOut(
        plan=summary.plan,
        status=summary.status,
        period_start=iso(summary.period_start) or "",
        period_end=iso(summary.period_end) or "",
        minutes_used=summary.minutes_used,
        minutes_included=summary.minutes_included,
        minutes_overage=summary.minutes_overage,
        minutes_unreported=summary.minutes_unreported,
        calls=summary.calls,
    )


@router.post("/checkout", response_model=wire.HostedPageOut)
async def create_checkout(
    body: CheckoutRequest,
    request: Request,
    identity: BillingAdmin,
    context: ContextDep,
    stripe: StripeDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> wire.HostedPageOut:
    """A Stripe Checkout Session; the same ``Idempotency-Key`` (forwarded by the
    gateway) gets the same session from Stripe."""
    settings = context.settings
    if body.seats > settings.max_seats:
        raise ApiError(422, "too_many_seats", f"seats must be between 1 and {settings.max_seats}")
    try:
        get_plan(body.plan)
    except UnknownPlan as exc:
        raise ApiError(422, "unknown_plan", str(exc)) from None
    page = await _stripe_call(
        lambda: start_checkout(
            request.app.state.runtime.db,
            stripe,
            context.price_cache,
            org_id=identity.org_id,
            user_id=identity.user_id,
            plan_name=body.plan,
            seats=body.seats,
            success_url=body.success_url or settings.checkout_success_url,
            cancel_url=body.cancel_url or settings.checkout_cancel_url,
            request_key=idempotency_key,
        )
    )
    return wire.HostedPageOut(**page)


@router.post("/portal", response_model=wire.HostedPageOut)
async def create_portal(
    request: Request,
    identity: BillingAdmin,
    context: ContextDep,
    stripe: StripeDep,
    body: PortalRequest | None = None,
) -> wire.HostedPageOut:
    return_url = (body.return_url if body else None) or context.settings.portal_return_url
    page = await _stripe_call(
        lambda: open_portal(
            request.app.state.runtime.db, stripe, org_id=identity.org_id, return_url=return_url
        )
    )
    return wire.HostedPageOut(**page)


router.include_router(webhooks_router)
