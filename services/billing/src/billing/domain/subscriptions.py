"""Subscription rules: reading Stripe's subscription object, ordering, grace and limits.

Ordering. Stripe delivers webhooks at least once and in no guaranteed order. Every
change we store carries a stamp (the Stripe event's ``created``, Unix seconds); a
change older than the stored stamp is stale and never rolls the state back. Where
Stripe is configured the service also re-reads the subscription from Stripe before
storing it, so what it stores is Stripe's latest state, not the event's snapshot.
Two events stamped in the same second cannot be ordered by time; the later one to
arrive wins (with the re-read, both carry the same, current state).

Grace. A subscription entering ``past_due`` keeps its plan's limits for a grace period
(``grace_days``) counted from the event that made it past due; ``unpaid`` keeps a grace
already running. When the grace ends, or the subscription is canceled, incomplete or
paused, the organization falls to the free plan's limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from billing.domain.plans import FREE, PLANS, Plan, plan_for_price
from clashtor_common.events import PlanLimits, SubscriptionChanged

ACTIVE_STATUSES = frozenset({"active", "trialing"})
GRACE_STATUSES = frozenset({"past_due", "unpaid"})
LIVE_STATUSES = ACTIVE_STATUSES | GRACE_STATUSES


class UnreadableSubscription(ValueError):
    """A Stripe subscription object we cannot map onto a plan."""


@dataclass(frozen=True)
class SubscriptionSnapshot:
    """The parts of a Stripe subscription billing cares about."""

    subscription_id: str
    customer_id: str | None
    status: str
    plan: str
    seats: int
    period_start: int | None
    period_end: int | None
    org_id: str | None


@dataclass(frozen=True)
class SubscriptionState:
    """What billing stores per organization (the last applied subscription)."""

    subscription_id: str | None
    status: str
    plan: str
    seats: int
    period_start: int | None
    period_end: int | None
    grace_until: int | None
    stripe_updated: int


@dataclass(frozen=True)
class Effective:
    """The plan and limits in force, as announced in ``subscription-changed``."""

    plan: str
    status: str
    limits: PlanLimits
    period_start: int | None
    period_end: int | None
    grace_until: int | None


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return value.get("id")
    return value


def parse_subscription(obj: Mapping[str, Any]) -> SubscriptionSnapshot:
    """Read a Stripe subscription (any API version: periods on the object or its items)."""
    sub_id = obj.get("id")
    if not sub_id:
        raise UnreadableSubscription("subscription object without id")
    items = ((obj.get("items") or {}).get("data")) or []
    plan: Plan | None = None
    seats = 0
    seat_item: Mapping[str, Any] | None = None
    for item in items:
        found = plan_for_price(item.get("price")) or plan_for_price(item.get("plan"))
        if found is None:
            continue
        item_plan, is_seat = found
        plan = plan or item_plan
        if is_seat:
            plan, seat_item = item_plan, item
            seats += int(item.get("quantity") or 1)
    metadata = obj.get("metadata") or {}
    if plan is None and metadata.get("plan") in PLANS:
        plan = PLANS[metadata["plan"]]
    if plan is None:
        raise UnreadableSubscription(f"subscription {sub_id} has no Clashtor price")
    period_start = obj.get("current_period_start")
    period_end = obj.get("current_period_end")
    if period_start is None and seat_item is not None:
        period_start = seat_item.get("current_period_start")
        period_end = seat_item.get("current_period_end")
    return SubscriptionSnapshot(
        subscription_id=sub_id,
        customer_id=_id(obj.get("customer")),
        status=str(obj.get("status") or "incomplete"),
        plan=plan.name,
        seats=seats or int(obj.get("quantity") or 1),
        period_start=int(period_start) if period_start is not None else None,
        period_end=int(period_end) if period_end is not None else None,
        org_id=metadata.get("org_id"),
    )


def is_stale(
    current: SubscriptionState | None, snapshot_sub_id: str, status: str, stamp: int
) -> bool:
    """True when applying this change would roll the stored state back."""
    if current is None:
        return False
    if stamp < current.stripe_updated:
        return True
    # An old, dead subscription never replaces the organization's live one.
    return (
        current.subscription_id not in (None, snapshot_sub_id)
        and current.status in LIVE_STATUSES
        and status not in LIVE_STATUSES
    )


def next_grace_until(
    current: SubscriptionState | None, sub_id: str, status: str, stamp: int, grace_seconds: int
) -> int | None:
    running = (
        current.grace_until
        if current is not None
        and current.subscription_id == sub_id
        and current.status in GRACE_STATUSES
        else None
    )
    if status == "past_due":
        return running if running is not None else stamp + grace_seconds
    if status == "unpaid":
        return running
    return None


def state_from_snapshot(
    current: SubscriptionState | None,
    snap: SubscriptionSnapshot,
    stamp: int,
    grace_seconds: int,
) -> SubscriptionState:
    return SubscriptionState(
        subscription_id=snap.subscription_id,
        status=snap.status,
        plan=snap.plan,
        seats=snap.seats,
        period_start=snap.period_start,
        period_end=snap.period_end,
        grace_until=next_grace_until(
            current, snap.subscription_id, snap.status, stamp, grace_seconds
        ),
        stripe_updated=max(stamp, current.stripe_updated if current else 0),
    )


def with_status(
    current: SubscriptionState, status: str, stamp: int, grace_seconds: int
) -> SubscriptionState:
    """The stored subscription after an invoice event moved its status (no re-read)."""
    assert current.subscription_id is not None
    grace = next_grace_until(current, current.subscription_id, status, stamp, grace_seconds)
    return replace(
        current, status=status, grace_until=grace, stripe_updated=max(stamp, current.stripe_updated)
    )


def effective(state: SubscriptionState | None, now: int) -> Effective:
    """Plan and limits in force at ``now``: the plan's own, within grace, else free."""
    free = PLANS[FREE]
    if state is None:
        return Effective(FREE, "free", free.limits(), None, None, None)
    in_grace = state.grace_until is not None and now < state.grace_until
    if state.status in ACTIVE_STATUSES or (state.status in GRACE_STATUSES and in_grace):
        plan = PLANS[state.plan]
        return Effective(
            plan.name,
            state.status,
            plan.limits(state.seats),
            state.period_start,
            state.period_end,
            state.grace_until,
        )
    return Effective(
        FREE, state.status, free.limits(), state.period_start, state.period_end, state.grace_until
    )


def iso(ts: int | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def subscription_changed(eff: Effective, stamp: int) -> SubscriptionChanged:
    return SubscriptionChanged(
        plan=eff.plan,
        status=eff.status,
        limits=eff.limits,
        period_start=iso(eff.period_start),
        period_end=iso(eff.period_end),
        grace_until=iso(eff.grace_until),
        stripe_updated=stamp,
    )
