"""The plan catalog: what each plan costs, includes and is called in Stripe.

Each paid plan is two Stripe prices on one product: a licensed per-seat monthly price
and a metered overage price attached to the transcription-minutes meter. Included
minutes are a pool per organization (not per seat): the overage price is graduated,
its first ``included_minutes`` units free, so Stripe bills only the minutes beyond the
pool while the ledger reports every minute. The free plan has a $0 seat price for
completeness; a free organization needs no Stripe subscription.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clashtor_common.events import PlanLimits

FREE = "free"
CURRENCY = "eur"
METER_EVENT_NAME = "clashtor_transcription_minutes"
PLAN_METADATA_KEY = "clashtor_plan"


@dataclass(frozen=True)
class Plan:
    name: str
    display_name: str
    seat_amount_cents: int
    included_minutes: int
    default_seats: int
    max_upload_mb: int | None
    overage_cents_per_minute: str | None
    """Decimal string (Stripe's ``unit_amount_decimal``); None = no overage (hard cap)."""

    @property
    def product_id(self) -> str:
        return f"clashtor_{self.name}"

    @property
    def seat_lookup_key(self) -> str:
        return f"clashtor_{self.name}_seat_monthly"

    @property
    def overage_lookup_key(self) -> str | None:
        return f"clashtor_{self.name}_overage_minute" if self.overage_cents_per_minute else None

    @property
    def purchasable(self) -> bool:
        return self.seat_amount_cents > 0

    def limits(self, seats: int | None = None) -> PlanLimits:
        return PlanLimits(
            included_minutes=self.included_minutes,
            seats=max(1, seats) if seats else self.default_seats,
            max_upload_mb=self.max_upload_mb,
        )


PLANS: dict[str, Plan] = {
    p.name: p
    for p in (
        Plan(FREE, "Free", 0, 60, 3, None, None),
        Plan("team", "Team", 3900, 3000, 1, 500, "3"),
        Plan("business", "Business", 7900, 15000, 1, 2000, "2"),
    )
}


class UnknownPlan(LookupError):
    pass


def get_plan(name: str) -> Plan:
    try:
        return PLANS[name]
    except KeyError:
        raise UnknownPlan(f"unknown plan {name!r}; plans are {', '.join(PLANS)}") from None


def lookup_keys() -> list[str]:
    keys: list[str] = []
    for plan in PLANS.values():
        keys.append(plan.seat_lookup_key)
        if plan.overage_lookup_key:
            keys.append(plan.overage_lookup_key)
    return keys


def plan_for_price(price: Mapping[str, Any] | None) -> tuple[Plan, bool] | None:
    """``(plan, is_seat_price)`` for a Stripe price or legacy plan object, else None.

    Known by lookup key, by its ``clashtor_plan`` metadata, or by an id equal to one of
    our lookup keys (legacy plans created with that id).
    """
    if not price:
        return None
    keys = {price.get("lookup_key"), price.get("id")}
    for plan in PLANS.values():
        if plan.seat_lookup_key in keys:
            return plan, True
        if plan.overage_lookup_key and plan.overage_lookup_key in keys:
            return plan, False
    name = (price.get("metadata") or {}).get(PLAN_METADATA_KEY)
    if name in PLANS:
        recurring = price.get("recurring") or {}
        usage_type = recurring.get("usage_type") or price.get("usage_type") or "licensed"
        return PLANS[name], usage_type == "licensed"
    return None


def seat_price_params(plan: Plan, product_id: str) -> dict[str, Any]:
    """Stripe ``POST /v1/prices`` parameters of the plan's seat price."""
    return {
        "product": product_id,
        "currency": CURRENCY,
        "unit_amount": plan.seat_amount_cents,
        "recurring": {"interval": "month", "usage_type": "licensed"},
        "lookup_key": plan.seat_lookup_key,
        "nickname": f"{plan.display_name} seat (monthly)",
        "metadata": {PLAN_METADATA_KEY: plan.name, "component": "seat"},
    }


def overage_price_params(plan: Plan, product_id: str, meter_id: str) -> dict[str, Any]:
    """Stripe ``POST /v1/prices`` parameters of the plan's metered overage price."""
    assert plan.overage_lookup_key and plan.overage_cents_per_minute
    return {
        "product": product_id,
        "currency": CURRENCY,
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter_id},
        "billing_scheme": "tiered",
        "tiers_mode": "graduated",
        "tiers": [
            {"up_to": plan.included_minutes, "unit_amount": 0},
            {"up_to": "inf", "unit_amount_decimal": plan.overage_cents_per_minute},
        ],
        "lookup_key": plan.overage_lookup_key,
        "nickname": f"{plan.display_name} transcription minutes beyond {plan.included_minutes}",
        "metadata": {PLAN_METADATA_KEY: plan.name, "component": "overage"},
    }


def meter_params() -> dict[str, Any]:
    """Stripe ``POST /v1/billing/meters`` parameters of the transcription-minutes meter."""
    return {
        "display_name": "Transcription minutes",
        "event_name": METER_EVENT_NAME,
        "default_aggregation": {"formula": "sum"},
        "customer_mapping": {"type": "by_id", "event_payload_key": "stripe_customer_id"},
        "value_settings": {"event_payload_key": "value"},
    }
