"""Stripe objects and events for tests, shaped as Stripe sends them (API 2025+: the
billing period on each subscription item). Billing's tests and the whole-system tests
build their webhooks from these, so both speak the same Stripe."""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

API_VERSION = "2026-10-28.endive"
MONTH = 30 * 86400


def subscription_item(
    plan: str, usage: Literal["licensed", "metered"], *, start: int, seats: int | None = None
) -> dict[str, Any]:
    """A seat price (``licensed``, ``seats`` of it) or the overage minute (``metered``)."""
    name = "seat" if usage == "licensed" else "overage"
    lookup = (
        f"clashtor_{plan}_seat_monthly"
        if usage == "licensed"
        else f"clashtor_{plan}_overage_minute"
    )
    item: dict[str, Any] = {
        "id": f"si_{uuid.uuid4().hex[:10]}",
        "object": "subscription_item",
        "current_period_start": start,
        "current_period_end": start + MONTH,
        "price": {
            "id": f"price_{plan}_{name}",
            "object": "price",
            "lookup_key": lookup,
            "recurring": {"interval": "month", "usage_type": usage},
        },
    }
    if seats is not None:
        item["quantity"] = seats
    return item


def subscription_object(
    *,
    org_id: str | None,
    sub_id: str | None = None,
    customer: str | None = None,
    plan: str = "team",
    seats: int = 3,
    status: str = "active",
    period_start: int | None = None,
    metered: bool = True,
) -> dict[str, Any]:
    """A subscription of ``org_id`` (its ``metadata``) to ``plan``'s seat price and, when
    ``metered``, its overage minute; the period began an hour ago unless given."""
    start = period_start or int(time.time()) - 3600
    items = [subscription_item(plan, "licensed", start=start, seats=seats)]
    if metered:
        items.append(subscription_item(plan, "metered", start=start))
    return {
        "id": sub_id or f"sub_{uuid.uuid4().hex[:14]}",
        "object": "subscription",
        "customer": customer or f"cus_{uuid.uuid4().hex[:14]}",
        "status": status,
        "metadata": {"org_id": org_id} if org_id else {},
        "items": {"object": "list", "data": items},
    }


def stripe_event(etype: str, obj: dict[str, Any], created: int | None = None) -> dict[str, Any]:
    """A webhook event of type ``etype`` about ``obj``."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "type": etype,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }
