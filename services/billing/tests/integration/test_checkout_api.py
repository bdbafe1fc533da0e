"""Plans, checkout and portal through the internal API, with the real SDK on local Stripe."""

from __future__ import annotations

from typing import Any

import pytest

from billing.adapters.stripe_gateway import StripeGateway
from billing.adapters.tables import BillingCustomer
from billing.domain.plans import PLANS
from billing.service_layer.catalog import setup_plans

from .support import (
    RunningBilling,
    billing_http,
    billing_settings,
    new_org,
    row,
    sdk_client,
    stripe_event,
    subscription_object,
)

CHECKOUT = "/v1/checkout/sessions"
NO_BROKER = "127.0.0.1:9"  # HTTP-only tests: the app never connects to a broker


@pytest.fixture(scope="module")
async def catalog(stripe_settings: dict[str, Any]) -> dict[str, str]:
    gateway = StripeGateway(
        stripe_settings["stripe_api_key"], api_base=stripe_settings["stripe_api_base"]
    )
    try:
        return (await setup_plans(gateway)).ids
    finally:
        await gateway.aclose()


@pytest.fixture(scope="module")
async def billing(database_url: str, stripe_settings: dict[str, Any], catalog: dict[str, str]):
    settings = billing_settings(NO_BROKER, database_url, **stripe_settings)
    async with billing_http(settings) as running:
        yield running


async def test_plans_list_the_catalog_and_mark_the_organizations_plan(
    billing: RunningBilling,
) -> None:
    org = new_org()
    before = await billing.client.get("/internal/plans", headers=billing.as_member(org, role="rep"))
    await billing.context.webhooks.process(
        stripe_event(
            "customer.subscription.created", subscription_object(org_id=org, plan="business")
        )
    )
    after = await billing.client.get("/internal/plans", headers=billing.as_member(org, role="rep"))

    assert before.status_code == 200
    plans = {p["name"]: p for p in before.json()["plans"]}
    assert set(plans) == set(PLANS)
    assert plans["team"]["seat_price_cents"] == PLANS["team"].seat_amount_cents
    assert plans["team"]["included_minutes"] == PLANS["team"].included_minutes
    assert before.json()["current_plan"] == "free" and plans["free"]["current"]
    assert after.json()["current_plan"] == "business"
    assert [p["name"] for p in after.json()["plans"] if p["current"]] == ["business"]


async def test_an_admin_gets_a_checkout_url_for_a_subscription_with_seats_and_metered_overage(
    billing: RunningBilling,
    stripe_stub: Any,
    stripe_settings: dict[str, Any],
    catalog: dict[str, str],
) -> None:
    org = new_org()
    resp = await billing.client.post(
        "/internal/checkout",
        json={"plan": "team", "seats": 4},
        headers=billing.as_member(org, role="admin", user_id="admin-1"),
    )

    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["url"].startswith("https://checkout.stripe.com/")
    session = stripe_stub.checkout_sessions[page["id"]]
    assert session["mode"] == "subscription" and session["client_reference_id"] == org
    assert session["line_items"] == [
        {"price": catalog["clashtor_team_seat_monthly"], "quantity": "4"},
        {"price": catalog["clashtor_team_overage_minute"]},
    ]
    assert session["metadata"] == {"org_id": org, "plan": "team"}
    customer = await row(billing, BillingCustomer, org)
    assert customer.stripe_customer_id == session["customer"] and customer.created_by == "admin-1"
    at_stripe = (
        await sdk_client(stripe_settings).v1.customers.retrieve_async(session["customer"])
    ).to_dict()
    assert at_stripe["metadata"] == {"org_id": org}
    assert at_stripe["name"] is None and at_stripe["email"] is None

    again = await billing.client.post(
        "/internal/checkout",
        json={"plan": "business"},
        headers=billing.as_member(org, role="owner"),
    )
    assert again.status_code == 200
    assert stripe_stub.checkout_sessions[again.json()["id"]]["customer"] == session["customer"]


@pytest.mark.parametrize("role", ["rep", "manager", "compliance"])
async def test_only_owners_and_admins_may_check_out_or_open_the_portal(
    billing: RunningBilling, role: str
) -> None:
    org = new_org()
    headers = billing.as_member(org, role=role)
    checkout = await billing.client.post(
        "/internal/checkout", json={"plan": "team"}, headers=headers
    )
    portal = await billing.client.post("/internal/portal", headers=headers)
    assert (checkout.status_code, portal.status_code) == (403, 403)
    assert checkout.json()["error"]["code"] == "forbidden"
    assert await row(billing, BillingCustomer, org) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"plan": "free"}, "plan_not_purchasable"),
        ({"plan": "platinum"}, "unknown_plan"),
        ({"plan": "team", "seats": 0}, "validation_error"),
        ({"plan": "team", "seats": 100000}, "too_many_seats"),
        ({"seats": 2}, "validation_error"),
    ],
)
async def test_a_bad_checkout_request_is_422_with_a_reason(
    billing: RunningBilling, body: dict[str, Any], code: str
) -> None:
    resp = await billing.client.post(
        "/internal/checkout", json=body, headers=billing.as_member(new_org())
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == code


async def test_stripe_failing_past_the_retries_is_a_503_not_a_500(
    billing: RunningBilling, stripe_stub: Any
) -> None:
    stripe_stub.fail_next(CHECKOUT, status=500, times=billing.settings.stripe_max_attempts)
    resp = await billing.client.post(
        "/internal/checkout", json={"plan": "team"}, headers=billing.as_member(new_org())
    )
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "stripe_unavailable"


async def test_the_portal_needs_a_billing_account_then_opens_for_it(
    billing: RunningBilling, stripe_stub: Any
) -> None:
    org = new_org()
    admin = billing.as_member(org, role="admin")
    missing = await billing.client.post("/internal/portal", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "no_billing_customer"

    await billing.client.post("/internal/checkout", json={"plan": "team"}, headers=admin)
    opened = await billing.client.post(
        "/internal/portal", json={"return_url": "https://app.example/billing"}, headers=admin
    )

    assert opened.status_code == 200
    session = stripe_stub.portal_sessions[opened.json()["id"]]
    assert opened.json()["url"] == session["url"]
    assert session["customer"] == (await row(billing, BillingCustomer, org)).stripe_customer_id
    assert session["return_url"] == "https://app.example/billing"


async def test_internal_routes_require_the_signed_identity(billing: RunningBilling) -> None:
    for method, path in (("GET", "/internal/plans"), ("POST", "/internal/checkout")):
        resp = await billing.client.request(method, path, json={"plan": "team"})
        assert resp.status_code == 401, path


async def test_without_a_stripe_key_checkout_says_billing_is_not_configured(
    database_url: str,
) -> None:
    settings = billing_settings(NO_BROKER, database_url)
    async with billing_http(settings) as local:
        resp = await local.client.post(
            "/internal/checkout", json={"plan": "team"}, headers=local.as_member(new_org())
        )
        plans = await local.client.get("/internal/plans", headers=local.as_member(new_org()))
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "billing_not_configured"
    assert plans.status_code == 200


async def test_the_same_idempotency_key_gets_the_same_checkout_session(
    billing: RunningBilling, stripe_stub: Any
) -> None:
    """A retried checkout (the client's Idempotency-Key, forwarded by the gateway) must not
    open a second Checkout Session: Stripe's key derives from the client's."""
    org = new_org()
    admin = billing.as_member(org, role="admin", user_id="admin-1")

    async def checkout(key: str | None, plan: str = "team") -> Any:
        headers = {**admin, **({"Idempotency-Key": key} if key else {})}
        return await billing.client.post("/internal/checkout", json={"plan": plan}, headers=headers)

    first, retried = await checkout("retry-me"), await checkout("retry-me")
    other = await checkout("another-key")
    unkeyed = [await checkout(None), await checkout(None)]

    assert first.status_code == retried.status_code == other.status_code == 200, retried.text
    assert retried.json() == first.json()
    assert other.json()["id"] != first.json()["id"]
    assert unkeyed[0].json()["id"] != unkeyed[1].json()["id"]
    sent = [
        r for r in stripe_stub.requests_to(CHECKOUT) if r.params.get("client_reference_id") == org
    ]
    keys = [r.idempotency_key for r in sent]
    assert keys[0] == keys[1] and "retry-me" not in str(keys[0])
    assert len(set(keys)) == 4


async def test_an_idempotency_key_reused_for_another_checkout_is_422(
    billing: RunningBilling,
) -> None:
    org = new_org()
    headers = {**billing.as_member(org, role="owner"), "Idempotency-Key": "k-1"}
    first = await billing.client.post("/internal/checkout", json={"plan": "team"}, headers=headers)
    other = await billing.client.post(
        "/internal/checkout", json={"plan": "business"}, headers=headers
    )
    assert first.status_code == 200, first.text
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_one_users_idempotency_key_never_names_anothers_session(
    billing: RunningBilling,
) -> None:
    org = new_org()
    sessions = []
    for user in ("admin-1", "admin-2"):
        headers = {**billing.as_member(org, role="admin", user_id=user), "Idempotency-Key": "k"}
        resp = await billing.client.post(
            "/internal/checkout", json={"plan": "team"}, headers=headers
        )
        assert resp.status_code == 200, resp.text
        sessions.append(resp.json()["id"])
    assert sessions[0] != sessions[1]
