"""Create the plan catalog in Stripe, idempotently (``python -m billing.entrypoints.cli``).

For the transcription-minutes meter, each plan's product and its prices it first looks
for what exists (meter by event name, product by its fixed id ``clashtor_<plan>``,
prices by lookup key) and creates only what is missing, each create with an
idempotency key, so running it twice, or concurrently, creates everything once. An
existing price whose terms differ from the catalog is reported, never changed (Stripe
prices are immutable: publish a new one and move the lookup key deliberately).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing.adapters.stripe_gateway import StripeGateway
from billing.domain.plans import (
    PLAN_METADATA_KEY,
    PLANS,
    Plan,
    meter_params,
    overage_price_params,
    seat_price_params,
)

KEY_VERSION = "v1"


@dataclass
class SetupReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


def _differs(existing: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    fields = ("currency", "unit_amount", "billing_scheme", "tiers_mode", "product")
    diffs = [f for f in fields if f in wanted and existing.get(f) != wanted[f]]
    recurring = existing.get("recurring") or {}
    for key in ("interval", "usage_type", "meter"):
        if recurring.get(key) != wanted["recurring"].get(key):
            diffs.append(f"recurring.{key}")
    return diffs


async def _ensure_product(gateway: StripeGateway, plan: Plan, report: SetupReport) -> str:
    product = await gateway.find_product(plan.product_id)
    if product is None:
        product = await gateway.create_product(
            {
                "id": plan.product_id,
                "name": f"Clashtor {plan.display_name}",
                "metadata": {PLAN_METADATA_KEY: plan.name},
            },
            idempotency_key=f"clashtor-setup-product-{plan.product_id}-{KEY_VERSION}",
        )
        report.created.append(f"product {plan.product_id}")
    else:
        report.existing.append(f"product {plan.product_id}")
    return str(product["id"])


async def _ensure_price(
    gateway: StripeGateway,
    existing: dict[str, dict[str, Any]],
    params: dict[str, Any],
    report: SetupReport,
) -> None:
    key = params["lookup_key"]
    price = existing.get(key)
    if price is None:
        price = await gateway.create_price(
            params, idempotency_key=f"clashtor-setup-price-{key}-{KEY_VERSION}"
        )
        report.created.append(f"price {key}")
    else:
        report.existing.append(f"price {key}")
        diffs = _differs(price, params)
        if diffs:
            report.mismatched.append(f"price {key} differs in {', '.join(diffs)}")
    report.ids[key] = str(price["id"])


async def setup_plans(gateway: StripeGateway) -> SetupReport:
    report = SetupReport()
    wanted_meter = meter_params()
    meter = await gateway.find_meter(wanted_meter["event_name"])
    if meter is None:
        meter = await gateway.create_meter(
            wanted_meter,
            idempotency_key=f"clashtor-setup-meter-{wanted_meter['event_name']}-{KEY_VERSION}",
        )
        report.created.append(f"meter {wanted_meter['event_name']}")
    else:
        report.existing.append(f"meter {wanted_meter['event_name']}")
    meter_id = str(meter["id"])
    report.ids[wanted_meter["event_name"]] = meter_id
    keys = [k for p in PLANS.values() for k in (p.seat_lookup_key, p.overage_lookup_key) if k]
    existing = await gateway.find_prices(keys)
    for plan in PLANS.values():
        product_id = await _ensure_product(gateway, plan, report)
        await _ensure_price(gateway, existing, seat_price_params(plan, product_id), report)
        if plan.overage_lookup_key:
            await _ensure_price(
                gateway, existing, overage_price_params(plan, product_id, meter_id), report
            )
    return report
