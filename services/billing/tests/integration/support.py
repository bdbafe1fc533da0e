"""Helpers of billing's integration tests: the running service, Stripe events, topics."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import stripe
from fastapi import FastAPI

from billing.context import BillingContext, context_of
from billing.domain.plans import PLANS
from billing.main import create_app
from billing.settings import BillingSettings
from clashtor_common.crypto import Keyring
from clashtor_common.service import ServiceRuntime
from clashtor_common.testing.apps import identity_headers, serve
from clashtor_common.testing.events import new_org  # noqa: F401 - used by the tests
from clashtor_common.testing.kafka import (  # noqa: F401 - used by the tests
    TopicReader,
    event_for,
    publish,
)
from clashtor_common.testing.stripe_objects import (  # noqa: F401 - used by the tests
    stripe_event,
    subscription_object,
)
from clashtor_common.testing.waiting import wait_until  # noqa: F401 - used by the tests

MASTER_KEYS = f"test1:{Keyring.generate_key()}"
IDENTITY_SECRET = "billing-tests-identity-secret-of-32-bytes-or-more"


def billing_settings(bootstrap: str, database_url: str, **extra: Any) -> BillingSettings:
    values: dict[str, Any] = {
        "service_name": f"billing-{uuid.uuid4().hex[:8]}",
        "environment": "test",
        "kafka_bootstrap": bootstrap,
        "database_url": database_url,
        "master_keys": MASTER_KEYS,
        "identity_secret": IDENTITY_SECRET,
        "relay_poll_seconds": 0.1,
        "consumer_backoff_seconds": 0.05,
        "usage_report_poll_seconds": 0.2,
        "grace_check_seconds": 3600,  # tests sweep explicitly
        "log_json": False,
    }
    values.update(extra)
    return BillingSettings(**values)


@dataclass
class RunningBilling:
    url: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    @property
    def context(self) -> BillingContext:
        return context_of(self.runtime)

    @property
    def settings(self) -> BillingSettings:
        return self.context.settings

    def as_member(
        self, org_id: str, role: str = "admin", user_id: str = "user-1"
    ) -> dict[str, str]:
        return identity_headers(IDENTITY_SECRET, org_id, user_id=user_id, role=role)

    async def post_event(
        self, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None
    ) -> httpx.Response:
        body, header = signed(event, secret or self.webhook_secret, timestamp)
        return await self.client.post(
            "/internal/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    @property
    def webhook_secret(self) -> str:
        secret = self.settings.stripe_webhook_secret
        assert secret is not None
        return secret.get_secret_value()


@asynccontextmanager
async def running_billing(settings: BillingSettings) -> AsyncIterator[RunningBilling]:
    app = create_app(settings)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield RunningBilling(url, app, client)


def signed(
    payload: dict[str, Any] | str, secret: str, timestamp: int | None = None
) -> tuple[str, str]:
    """A webhook body and its ``Stripe-Signature`` header, made with the Stripe library."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return body, stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)


# --- Stripe objects and events, shaped as Stripe sends them (API 2025+: periods on items) ---
def invoice_object(
    *, subscription: dict[str, Any], status: str = "paid", amount: int = 11700
) -> dict[str, Any]:
    item = subscription["items"]["data"][0]
    return {
        "id": f"in_{uuid.uuid4().hex[:14]}",
        "object": "invoice",
        "customer": subscription["customer"],
        "customer_email": "billing@example.com",
        "customer_name": "Ada Example",
        "number": f"CLSH-{uuid.uuid4().hex[:6].upper()}",
        "status": status,
        "currency": "eur",
        "amount_due": amount,
        "amount_paid": amount if status == "paid" else 0,
        "created": int(time.time()),
        "period_start": item["current_period_start"],
        "period_end": item["current_period_end"],
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription["id"],
                "metadata": subscription["metadata"],
            },
        },
    }


# --- topics ---------------------------------------------------------------------------
# --- reading billing's tables ---------------------------------------------------------
async def announcements_in_outbox(running: RunningBilling, org_id: str) -> list[dict[str, Any]]:
    """subscription-changed payloads billing committed for ``org_id``, in order."""
    from sqlmodel import select

    from clashtor_common.outbox import OutboxRecord

    async with running.runtime.db.session() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxRecord)
                    .where(OutboxRecord.topic == "subscription-changed", OutboxRecord.key == org_id)
                    .order_by(OutboxRecord.id)  # type: ignore[arg-type]
                )
            )
            .scalars()
            .all()
        )
    return [json.loads(r.payload)["data"] for r in rows]


async def row(running: RunningBilling, table: type, key: Any) -> Any:
    async with running.runtime.db.session() as session:
        return await session.get(table, key)


# --- localstripe objects through the real SDK ----------------------------------------------
def sdk_client(stripe_settings: dict[str, Any]) -> stripe.StripeClient:
    return stripe.StripeClient(
        stripe_settings["stripe_api_key"],
        base_addresses={"api": stripe_settings["stripe_api_base"]},
        http_client=stripe.HTTPXClient(timeout=10),
    )


async def ensure_legacy_plan(client: stripe.StripeClient, plan: str, amount: int) -> str:
    """A localstripe plan whose id is our seat lookup key (localstripe has no Prices)."""
    plan_id = f"clashtor_{plan}_seat_monthly"
    try:
        await client.v1.plans.retrieve_async(plan_id)
        return plan_id
    except stripe.InvalidRequestError:
        pass
    try:
        await client.v1.products.retrieve_async(f"clashtor_{plan}")
    except stripe.InvalidRequestError:
        # as the setup command makes it, so later tests of that command see the same product
        await client.v1.products.create_async(
            {"id": f"clashtor_{plan}", "name": plan, "metadata": {"clashtor_plan": plan}}
        )
    await client.v1.plans.create_async(
        {
            "id": plan_id,
            "product": f"clashtor_{plan}",
            "amount": amount,
            "currency": "eur",
            "interval": "month",
            "metadata": {"clashtor_plan": plan},
        }
    )
    return plan_id


async def paying_customer(
    client: stripe.StripeClient,
    org_id: str,
    *,
    name: str = "Ada Example",
    email: str = "ada@example.com",
) -> str:
    """A localstripe customer with a test card, as Checkout would leave it."""
    pm = await client.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    customer = await client.v1.customers.create_async(
        {
            "name": name,
            "email": email,
            "metadata": {"org_id": org_id},
            "payment_method": pm.id,
            "invoice_settings": {"default_payment_method": pm.id},
        }
    )
    return str(customer.id)


async def subscribed_customer(
    client: stripe.StripeClient,
    org_id: str,
    plan: str,
    *,
    seats: int | None = None,
    tagged: bool = True,
    **customer: str,
) -> tuple[str, stripe.Subscription]:
    """A ``paying_customer`` subscribed at localstripe to ``plan``'s seat price: the
    customer's id and the subscription. ``tagged`` names the org in the subscription's
    metadata, as our checkout does; untagged, only the customer (or a checkout session's
    ``client_reference_id``) names it."""
    plan_id = await ensure_legacy_plan(client, plan, PLANS[plan].seat_amount_cents)
    customer_id = await paying_customer(client, org_id, **customer)
    item: dict[str, Any] = {"plan": plan_id}
    if seats is not None:
        item["quantity"] = seats
    params: dict[str, Any] = {"customer": customer_id, "items": [item]}
    if tagged:
        params["metadata"] = {"org_id": org_id}
    return customer_id, await client.v1.subscriptions.create_async(params)


@asynccontextmanager
async def billing_http(settings: BillingSettings) -> AsyncIterator[RunningBilling]:
    """The app's HTTP routes in-process, schema migrated, no broker (for HTTP-only tests)."""
    from billing import main
    from clashtor_common.testing.apps import migrate

    app = create_app(settings)
    running = RunningBilling("http://billing", app, None)  # type: ignore[arg-type]
    await migrate(settings.database_url, main.__file__)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        running.client = client
        try:
            yield running
        finally:
            await running.context.stop()
            await running.runtime.db.dispose()
