"""The Stripe adapter and the plan setup command, through the real SDK against local Stripe."""

from __future__ import annotations

from typing import Any

import pytest

from billing.adapters.stripe_gateway import (
    StripeGateway,
    StripeNotFound,
    StripeRejected,
    StripeUnavailable,
)
from billing.domain.plans import METER_EVENT_NAME, PLANS, lookup_keys
from billing.service_layer.catalog import setup_plans


@pytest.fixture
async def gateway(stripe_settings: dict[str, Any]):
    gw = StripeGateway(
        stripe_settings["stripe_api_key"],
        api_base=stripe_settings["stripe_api_base"],
        max_attempts=3,
        retry_initial_seconds=0.01,
    )
    yield gw
    await gw.aclose()


async def test_setup_plans_creates_the_catalog_once_however_often_it_runs(
    gateway: StripeGateway, stripe_stub: Any
) -> None:
    first = await setup_plans(gateway)
    second = await setup_plans(gateway)

    assert second.created == []
    assert sorted(first.created + [x for x in first.existing]) == sorted(second.existing)
    keys = lookup_keys()
    prices = await gateway.find_prices(keys)
    assert sorted(prices) == sorted(keys)
    assert [p["lookup_key"] for p in stripe_stub.prices.values()].count(keys[0]) == 1
    assert len([m for m in stripe_stub.meters.values() if m["event_name"] == METER_EVENT_NAME]) == 1
    for plan in PLANS.values():
        product = await gateway.find_product(plan.product_id)
        assert product is not None and product["metadata"]["clashtor_plan"] == plan.name
    team_overage = prices["clashtor_team_overage_minute"]
    assert team_overage["recurring"]["usage_type"] == "metered"
    assert team_overage["recurring"]["meter"] == second.ids[METER_EVENT_NAME]
    assert team_overage["tiers"][0]["up_to"] == str(PLANS["team"].included_minutes)
    assert prices["clashtor_team_seat_monthly"]["unit_amount"] == PLANS["team"].seat_amount_cents
    creates = [r for r in stripe_stub.requests if r.method == "POST" and r.path == "/v1/prices"]
    assert creates and all(r.idempotency_key for r in creates)


async def test_a_rate_limited_create_is_retried_with_the_same_idempotency_key(
    gateway: StripeGateway, stripe_stub: Any
) -> None:
    customer = await gateway.create_customer("org-retry")
    stripe_stub.fail_next("/v1/billing/meter_events", status=429, times=2)

    await gateway.report_meter_event(
        event_name=METER_EVENT_NAME,
        customer_id=customer,
        value=3,
        identifier="call-retry-1",
        timestamp=1_700_000_000,
        idempotency_key="clashtor-usage-call-retry-1",
    )

    tries = [
        r
        for r in stripe_stub.requests_to("/v1/billing/meter_events")
        if r.params.get("identifier") == "call-retry-1"
    ]
    assert [r.status for r in tries] == [429, 429, 200]
    assert {r.idempotency_key for r in tries} == {"clashtor-usage-call-retry-1"}
    assert len(stripe_stub.meter_events_for("call-retry-1")) == 1


async def test_server_errors_past_the_retries_surface_as_unavailable(
    gateway: StripeGateway, stripe_stub: Any
) -> None:
    stripe_stub.fail_next("/v1/prices", status=503, times=3)
    with pytest.raises(StripeUnavailable):
        await gateway.find_prices(["clashtor_team_seat_monthly"])


async def test_a_rejected_request_is_not_retried(gateway: StripeGateway, stripe_stub: Any) -> None:
    before = len(stripe_stub.requests_to("/v1/billing/meter_events"))
    with pytest.raises(StripeRejected):
        await gateway.report_meter_event(
            event_name=METER_EVENT_NAME,
            customer_id="cus_x",
            value="lots",  # type: ignore[arg-type]
            identifier="call-bad",
            timestamp=1_700_000_000,
            idempotency_key="k-bad",
        )
    assert len(stripe_stub.requests_to("/v1/billing/meter_events")) == before + 1


async def test_unknown_subscription_reads_as_none_and_unknown_product_as_not_found(
    gateway: StripeGateway,
) -> None:
    assert await gateway.retrieve_subscription("sub_does_not_exist") is None
    assert await gateway.find_product("prod_does_not_exist") is None
    with pytest.raises(StripeNotFound):
        await gateway.update_customer("cus_missing", {"name": "x"}, idempotency_key="k-missing")


def test_the_setup_command_creates_nothing_the_second_time(stripe_settings: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from billing.entrypoints.cli import app

    runner = CliRunner()
    env = {
        "STRIPE_API_KEY": stripe_settings["stripe_api_key"],
        "BILLING_DATABASE_URL": "sqlite+aiosqlite://",
    }
    args = ["--api-base", stripe_settings["stripe_api_base"]]
    first = runner.invoke(app, args, env=env)
    second = runner.invoke(app, args, env=env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "created" not in second.output
    for key in lookup_keys():
        assert f"exists   price {key}" in second.output


def test_the_setup_command_refuses_to_run_without_an_api_key() -> None:
    from typer.testing import CliRunner

    from billing.entrypoints.cli import app

    result = CliRunner().invoke(app, [], env={"STRIPE_API_KEY": "", "BILLING_STRIPE_API_KEY": ""})
    assert result.exit_code != 0
    assert "STRIPE_API_KEY" in result.output
