"""Checkout and the customer portal: Stripe-hosted pages for an organization's admins.

The organization's Stripe customer is created on first checkout with only its
``org_id`` in metadata; Stripe Checkout collects the name, email and card on Stripe's
page, so none of them ever reaches billing.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from billing.adapters.stripe_gateway import StripeGateway
from billing.adapters.tables import BillingCustomer
from billing.domain.plans import Plan, get_plan, lookup_keys
from clashtor_common.db import Database
from clashtor_common.domain_errors import InvalidInput, NotFound


class CatalogMissing(LookupError):
    """The plan's Stripe prices are not set up (run ``python -m billing.entrypoints.cli``)."""


async def ensure_customer(db: Database, gateway: StripeGateway, org_id: str, user_id: str) -> str:
    async with db.session() as session:
        existing = await session.get(BillingCustomer, org_id)
        if existing is not None:
            return existing.stripe_customer_id
    customer_id = await gateway.create_customer(org_id)  # idempotency key per organization
    try:
        async with db.session() as session:
            session.add(
                BillingCustomer(org_id=org_id, stripe_customer_id=customer_id, created_by=user_id)
            )
    except IntegrityError:
        async with db.session() as session:
            existing = await session.get(BillingCustomer, org_id)
            if existing is None:
                raise
            return existing.stripe_customer_id
    return customer_id


async def plan_prices(
    gateway: StripeGateway, cache: dict[str, dict[str, Any]], plan: Plan
) -> list[dict[str, Any]]:
    """The plan's seat price and (if any) overage price, looked up by lookup key."""
    wanted = [k for k in (plan.seat_lookup_key, plan.overage_lookup_key) if k]
    if any(k not in cache for k in wanted):
        cache.update(await gateway.find_prices(lookup_keys()))
    missing = [k for k in wanted if k not in cache]
    if missing:
        raise CatalogMissing(
            f"Stripe has no active price with lookup key {', '.join(missing)}; "
            "run `python -m billing.entrypoints.cli`"
        )
    return [cache[k] for k in wanted]


def checkout_idempotency_key(org_id: str, user_id: str, request_key: str | None) -> str:
    """Stripe's idempotency key for a checkout: derived from the client's
    ``Idempotency-Key`` when it sent one, so a retry of the same request (after a
    timeout, a 5xx, a crash between Stripe's answer and ours) gets the same Checkout
    Session instead of a second one; a fresh key otherwise. Hashed with the caller,
    so one user's key never names another's session (and fits Stripe's 255 chars)."""
    if not request_key:
        return f"clashtor-checkout-{org_id}-{uuid.uuid4()}"
    digest = hashlib.sha256(f"{org_id}\n{user_id}\n{request_key}".encode()).hexdigest()
    return f"clashtor-checkout-{org_id}-k{digest[:40]}"


async def start_checkout(
    db: Database,
    gateway: StripeGateway,
    cache: dict[str, dict[str, Any]],
    *,
    org_id: str,
    user_id: str,
    plan_name: str,
    seats: int,
    success_url: str,
    cancel_url: str,
    request_key: str | None = None,
) -> dict[str, Any]:
    """A Checkout Session for the plan; ``request_key`` is the client's Idempotency-Key."""
    plan = get_plan(plan_name)
    if not plan.purchasable:
        raise InvalidInput(
            f"plan {plan.name!r} needs no checkout; choose one of "
            + ", ".join(p for p in ("team", "business")),
            "plan_not_purchasable",
        )
    prices = await plan_prices(gateway, cache, plan)
    customer_id = await ensure_customer(db, gateway, org_id, user_id)
    line_items: list[dict[str, Any]] = [{"price": prices[0]["id"], "quantity": seats}]
    line_items += [{"price": p["id"]} for p in prices[1:]]  # metered: no quantity
    metadata = {"org_id": org_id, "plan": plan.name}
    session = await gateway.create_checkout_session(
        {
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": org_id,
            "line_items": line_items,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        idempotency_key=checkout_idempotency_key(org_id, user_id, request_key),
    )
    return {"id": session["id"], "url": session["url"]}


async def open_portal(
    db: Database, gateway: StripeGateway, *, org_id: str, return_url: str
) -> dict[str, Any]:
    async with db.session() as session:
        customer = await session.get(BillingCustomer, org_id)
    if customer is None:
        raise NotFound(
            f"organization {org_id} has no billing account yet; start a checkout first",
            "no_billing_customer",
        )
    portal = await gateway.create_portal_session(customer.stripe_customer_id, return_url)
    return {"id": portal.get("id"), "url": portal["url"]}
