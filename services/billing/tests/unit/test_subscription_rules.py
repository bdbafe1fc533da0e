"""Subscription rules: reading Stripe objects, ordering, grace, limits in force."""

from __future__ import annotations

from typing import Any

import pytest

from billing.domain.plans import PLANS
from billing.domain.subscriptions import (
    SubscriptionState,
    UnreadableSubscription,
    effective,
    is_stale,
    parse_subscription,
    state_from_snapshot,
    subscription_changed,
)

DAY = 86400
GRACE = 7 * DAY


def price_item(lookup_key: str, quantity: int | None = None, **period: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "object": "subscription_item",
        "price": {
            "id": "price_1",
            "lookup_key": lookup_key,
            "recurring": {"usage_type": "licensed"},
        },
        **period,
    }
    if quantity is not None:
        item["quantity"] = quantity
    return item


def subscription(status: str = "active", seats: int = 4, **extra: Any) -> dict[str, Any]:
    return {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "metadata": {"org_id": "org-1"},
        "items": {
            "data": [
                price_item(
                    "clashtor_team_seat_monthly",
                    seats,
                    current_period_start=100,
                    current_period_end=200,
                ),
                {"price": {"id": "price_2", "lookup_key": "clashtor_team_overage_minute"}},
            ]
        },
        **extra,
    }


def state(
    status: str = "active", stamp: int = 1000, grace_until: int | None = None, **kw: Any
) -> SubscriptionState:
    return SubscriptionState(
        subscription_id=kw.get("sub", "sub_1"),
        status=status,
        plan=kw.get("plan", "team"),
        seats=kw.get("seats", 4),
        period_start=100,
        period_end=200,
        grace_until=grace_until,
        stripe_updated=stamp,
    )


def test_a_current_api_subscription_reads_plan_seats_and_item_periods() -> None:
    snap = parse_subscription(subscription())
    assert (snap.plan, snap.seats, snap.status, snap.org_id) == ("team", 4, "active", "org-1")
    assert (snap.period_start, snap.period_end) == (100, 200)
    assert snap.customer_id == "cus_1"


def test_a_legacy_plan_object_named_by_lookup_key_reads_too() -> None:
    legacy = {
        "id": "sub_2",
        "customer": {"id": "cus_9"},
        "status": "past_due",
        "current_period_start": 10,
        "current_period_end": 20,
        "items": {"data": [{"plan": {"id": "clashtor_business_seat_monthly"}, "quantity": 7}]},
    }
    snap = parse_subscription(legacy)
    assert (snap.plan, snap.seats, snap.period_start, snap.customer_id) == (
        "business",
        7,
        10,
        "cus_9",
    )


def test_a_subscription_without_a_clashtor_price_is_refused() -> None:
    with pytest.raises(UnreadableSubscription):
        parse_subscription({"id": "sub_3", "items": {"data": [price_item("someone_elses_price")]}})


def test_an_older_change_is_stale_and_an_equal_or_newer_one_is_not() -> None:
    current = state(stamp=1000)
    assert is_stale(current, "sub_1", "active", 999)
    assert not is_stale(current, "sub_1", "active", 1000)
    assert not is_stale(current, "sub_1", "canceled", 1001)


def test_a_dead_old_subscription_never_replaces_a_live_new_one() -> None:
    current = state(stamp=1000, sub="sub_new")
    assert is_stale(current, "sub_old", "canceled", 5000)
    assert not is_stale(current, "sub_other", "active", 5000)


def test_past_due_starts_grace_from_the_event_and_keeps_it_while_still_unpaid() -> None:
    active = state(stamp=1000)
    first = state_from_snapshot(active, parse_subscription(subscription("past_due")), 2000, GRACE)
    assert first.grace_until == 2000 + GRACE
    again = state_from_snapshot(first, parse_subscription(subscription("past_due")), 3000, GRACE)
    assert again.grace_until == 2000 + GRACE
    unpaid = state_from_snapshot(again, parse_subscription(subscription("unpaid")), 4000, GRACE)
    assert unpaid.grace_until == 2000 + GRACE
    paid = state_from_snapshot(unpaid, parse_subscription(subscription("active")), 5000, GRACE)
    assert paid.grace_until is None


def test_within_grace_the_plan_holds_and_after_it_the_free_limits_apply() -> None:
    past_due = state("past_due", stamp=2000, grace_until=2000 + GRACE)
    within = effective(past_due, 2000 + GRACE - 1)
    after = effective(past_due, 2000 + GRACE)
    assert (within.plan, within.limits.included_minutes, within.limits.seats) == (
        "team",
        PLANS["team"].included_minutes,
        4,
    )
    assert (after.plan, after.limits) == ("free", PLANS["free"].limits())
    assert after.status == "past_due"


@pytest.mark.parametrize("status", ["canceled", "incomplete", "incomplete_expired", "paused"])
def test_a_subscription_not_active_and_not_in_grace_has_free_limits(status: str) -> None:
    assert effective(state(status), 1500).plan == "free"


def test_unpaid_without_a_running_grace_is_free_at_once() -> None:
    snap = parse_subscription(subscription("unpaid"))
    new = state_from_snapshot(state("active"), snap, 2000, GRACE)
    assert new.grace_until is None
    assert effective(new, 2001).plan == "free"


def test_the_announcement_carries_iso_times_and_the_stamp() -> None:
    eff = effective(state("past_due", grace_until=86400), 10)
    event = subscription_changed(eff, 1234)
    assert event.grace_until == "1970-01-02T00:00:00+00:00"
    assert event.stripe_updated == 1234
    assert event.limits.included_minutes == PLANS["team"].included_minutes
