"""Stripe webhooks on the running service: signatures, once-only, ordering, grace.

The service runs for real (uvicorn, PostgreSQL or SQLite, Tansu); its announcements
are read back from the ``subscription-changed`` topic with aiokafka.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from billing.adapters.tables import (
    BillingCustomer,
    InvoiceRecord,
    StripeEventRecord,
    SubscriptionRecord,
)
from billing.domain.plans import PLANS
from billing.domain.subscriptions import iso
from billing.main import create_app
from billing.service_layer.subscriptions import sweep_expired_grace
from clashtor_common.testing.kafka import topic_reader_fixture

from .support import (
    RunningBilling,
    TopicReader,
    announcements_in_outbox,
    billing_settings,
    invoice_object,
    new_org,
    row,
    running_billing,
    sdk_client,
    signed,
    stripe_event,
    subscribed_customer,
    subscription_object,
    wait_until,
)

DAY = 86400


@pytest.fixture(scope="module")
async def billing(kafka_bootstrap: str, database_url: str, stripe_settings: dict[str, Any]):
    settings = billing_settings(kafka_bootstrap, database_url, **stripe_settings)
    async with running_billing(settings) as running:
        yield running


changes = topic_reader_fixture("subscription-changed")


def about(org_id: str, **data: Any):  # type: ignore[no-untyped-def]
    return lambda env: env.org_id == org_id and all(env.data.get(k) == v for k, v in data.items())


async def test_a_signed_subscription_event_announces_plan_and_limits_on_the_broker(
    billing: RunningBilling, changes: TopicReader
) -> None:
    org = new_org()
    sub = subscription_object(org_id=org, plan="team", seats=5)
    event = stripe_event("customer.subscription.created", sub)

    resp = await billing.post_event(event)

    assert resp.status_code == 200, resp.text
    assert resp.json()["outcome"] == "applied"
    (announced,) = await changes.wait_for(about(org))
    data = announced.data
    assert (data["plan"], data["status"]) == ("team", "active")
    assert data["limits"] == {
        "included_minutes": PLANS["team"].included_minutes,
        "seats": 5,
        "max_upload_mb": PLANS["team"].max_upload_mb,
    }
    assert data["period_start"] == iso(sub["items"]["data"][0]["current_period_start"])
    assert data["stripe_updated"] == event["created"]
    assert data["grace_until"] is None
    assert announced.source == "billing"


@pytest.mark.parametrize(
    "forge",
    [
        "wrong_secret",
        "tampered_body",
        "no_header",
        "stale_timestamp",
        "future_timestamp",
        "garbage_header",
    ],
)
async def test_a_bad_or_stale_signature_is_400_and_records_nothing(
    billing: RunningBilling, forge: str
) -> None:
    org = new_org()
    event = stripe_event("customer.subscription.created", subscription_object(org_id=org))
    secret = billing.webhook_secret
    body, header = signed(event, secret)
    headers: dict[str, str] = {"Stripe-Signature": header}
    if forge == "wrong_secret":
        body, headers["Stripe-Signature"] = signed(event, "whsec_someone_else")
    elif forge == "tampered_body":
        body = body.replace('"active"', '"trialing"')
    elif forge == "no_header":
        headers = {}
    elif forge == "stale_timestamp":
        body, headers["Stripe-Signature"] = signed(event, secret, int(time.time()) - 301)
    elif forge == "future_timestamp":  # validly signed, but dated beyond the tolerance ahead
        # Far enough ahead that a slow request is still beyond the 300 s tolerance when it
        # arrives: +301 on a truncated clock stayed ahead for under a second, so a loaded
        # machine answered 200 (fresh-clone run at d006b30).
        body, headers["Stripe-Signature"] = signed(event, secret, int(time.time()) + 900)
    else:
        headers["Stripe-Signature"] = "t=abc,v1=zzz"

    resp = await billing.client.post("/internal/webhooks/stripe", content=body, headers=headers)

    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_signature"
    assert await row(billing, StripeEventRecord, event["id"]) is None
    assert await row(billing, SubscriptionRecord, org) is None
    # The same event, properly signed, is then applied: the rejection left no trace.
    assert (await billing.post_event(event)).json()["outcome"] == "applied"


async def test_webhooks_without_a_configured_secret_answer_503(
    kafka_bootstrap: str, database_url: str, stripe_settings: dict[str, Any]
) -> None:
    settings = billing_settings(
        kafka_bootstrap, database_url, **{**stripe_settings, "stripe_webhook_secret": None}
    )
    app = create_app(settings)  # no lifespan needed: the route answers before any I/O
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        body, header = signed(stripe_event("invoice.paid", {"id": "in_1"}), "whsec_x")
        resp = await client.post(
            "/internal/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
        )
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "webhooks_not_configured"


async def test_a_replayed_event_is_handled_once(billing: RunningBilling) -> None:
    org = new_org()
    event = stripe_event("customer.subscription.created", subscription_object(org_id=org))
    body, header = signed(event, billing.webhook_secret)
    post = lambda: billing.client.post(  # noqa: E731
        "/internal/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
    )

    first, again = await post(), await post()
    resigned = await billing.post_event(event)  # Stripe's retry carries a fresh signature

    assert [r.json()["outcome"] for r in (first, again, resigned)] == [
        "applied",
        "duplicate",
        "duplicate",
    ]
    assert len(await announcements_in_outbox(billing, org)) == 1


async def test_concurrent_deliveries_of_one_event_apply_it_once(billing: RunningBilling) -> None:
    org = new_org()
    event = stripe_event("customer.subscription.created", subscription_object(org_id=org))
    body, header = signed(event, billing.webhook_secret)

    responses = await asyncio.gather(
        *(
            billing.client.post(
                "/internal/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
            )
            for _ in range(5)
        )
    )

    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["applied", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert len(await announcements_in_outbox(billing, org)) == 1


async def test_an_older_update_after_a_newer_one_leaves_the_newest_state(
    billing: RunningBilling, changes: TopicReader
) -> None:
    org = new_org()
    now = int(time.time())
    sub_id = f"sub_order_{org}"
    older = stripe_event(
        "customer.subscription.updated",
        subscription_object(org_id=org, sub_id=sub_id, plan="team", seats=3),
        created=now - 100,
    )
    newer = stripe_event(
        "customer.subscription.updated",
        subscription_object(org_id=org, sub_id=sub_id, plan="business", seats=8),
        created=now - 50,
    )

    assert (await billing.post_event(newer)).json()["outcome"] == "applied"
    assert (await billing.post_event(older)).json()["outcome"] == "stale"

    stored = await row(billing, SubscriptionRecord, org)
    assert (stored.plan, stored.seats, stored.stripe_updated) == ("business", 8, now - 50)
    announced = await announcements_in_outbox(billing, org)
    assert [a["plan"] for a in announced] == ["business"]
    await changes.wait_for(about(org, plan="business"))

    deleted = stripe_event(
        "customer.subscription.deleted",
        subscription_object(org_id=org, sub_id=sub_id, plan="business", status="canceled"),
        created=now,
    )
    assert (await billing.post_event(deleted)).json()["outcome"] == "applied"
    (free,) = await changes.wait_for(about(org, status="canceled"))
    assert free.data["plan"] == "free"
    assert free.data["limits"]["included_minutes"] == PLANS["free"].included_minutes
    assert free.data["stripe_updated"] > now - 50


async def test_a_failed_payment_keeps_the_plan_through_grace_and_payment_ends_it(
    billing: RunningBilling, changes: TopicReader
) -> None:
    org = new_org()
    now = int(time.time())
    sub = subscription_object(org_id=org, plan="team", seats=2)
    await billing.post_event(stripe_event("customer.subscription.created", sub, created=now - 100))

    failed = stripe_event(
        "invoice.payment_failed", invoice_object(subscription=sub, status="open"), created=now - 50
    )
    assert (await billing.post_event(failed)).json()["outcome"] == "applied"

    (past_due,) = await changes.wait_for(about(org, status="past_due"))
    grace_until = now - 50 + billing.settings.grace_seconds
    assert past_due.data["plan"] == "team"
    assert past_due.data["limits"]["included_minutes"] == PLANS["team"].included_minutes
    assert past_due.data["grace_until"] == iso(grace_until)
    assert billing.settings.grace_seconds == 7 * DAY

    paid = stripe_event("invoice.paid", invoice_object(subscription=sub), created=now - 10)
    assert (await billing.post_event(paid)).json()["outcome"] == "applied"
    (active,) = await changes.wait_for(about(org, status="active"))
    assert active.data["grace_until"] is None

    stored = await row(billing, InvoiceRecord, paid["data"]["object"]["id"])
    assert (stored.org_id, stored.status, stored.amount_paid) == (org, "paid", 11700)
    assert not hasattr(stored, "customer_email")


async def test_a_subscription_past_due_beyond_grace_announces_the_free_limits(
    billing: RunningBilling, changes: TopicReader
) -> None:
    org = new_org()
    eight_days_ago = int(time.time()) - 8 * DAY
    event = stripe_event(
        "customer.subscription.updated",
        subscription_object(org_id=org, plan="business", status="past_due"),
        created=eight_days_ago,
    )
    await billing.post_event(event)

    (announced,) = await changes.wait_for(about(org))
    assert (announced.data["plan"], announced.data["status"]) == ("free", "past_due")
    assert announced.data["limits"] == PLANS["free"].limits().model_dump()
    assert announced.data["grace_until"] == iso(eight_days_ago + 7 * DAY)


async def test_the_sweeper_announces_free_limits_once_grace_runs_out(
    billing: RunningBilling, changes: TopicReader
) -> None:
    org = new_org()
    created = int(time.time()) - 7 * DAY + 600  # grace ends in ten minutes
    await billing.post_event(
        stripe_event(
            "customer.subscription.updated",
            subscription_object(org_id=org, plan="team", status="past_due"),
            created=created,
        )
    )
    await changes.wait_for(about(org, plan="team", status="past_due"))
    grace_until = created + 7 * DAY

    assert await sweep_expired_grace(billing.runtime.db, grace_until - 1) == 0
    assert await sweep_expired_grace(billing.runtime.db, grace_until + 1) >= 1
    assert await sweep_expired_grace(billing.runtime.db, grace_until + 2) == 0

    (free,) = await changes.wait_for(about(org, plan="free"))
    assert free.data["status"] == "past_due"
    assert free.data["stripe_updated"] == grace_until
    assert [a["plan"] for a in await announcements_in_outbox(billing, org)] == ["team", "free"]


async def test_an_event_that_names_no_organization_is_acknowledged_and_ignored(
    billing: RunningBilling,
) -> None:
    event = stripe_event(
        "customer.subscription.created",
        subscription_object(org_id=None, customer="cus_nobody_knows"),
    )
    resp = await billing.post_event(event)
    assert resp.status_code == 200
    assert resp.json()["outcome"] == "unmatched"
    ignored = await billing.post_event(stripe_event("charge.refunded", {"id": "ch_1"}))
    assert ignored.json()["outcome"] == "ignored"


@pytest.mark.parametrize(
    "obj",
    [
        {"id": "sub_x", "metadata": {"org_id": "org-shape"}, "items": [1, 2]},
        {"id": "sub_y", "metadata": {"org_id": "org-shape"}, "items": {"data": ["x"]}},
    ],
    ids=["items-a-list", "item-not-an-object"],
)
async def test_a_signed_event_of_an_unexpected_shape_is_400_not_500(
    billing: RunningBilling, obj: dict[str, Any]
) -> None:
    event = stripe_event("customer.subscription.updated", obj)
    resp = await billing.post_event(event)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == "invalid_payload"
    assert await row(billing, StripeEventRecord, event["id"]) is None


async def test_a_body_that_is_not_a_stripe_event_is_400(billing: RunningBilling) -> None:
    for payload in ('{"hello": "world"}', "[1, 2]", "not json"):
        body, header = signed(payload, billing.webhook_secret)
        resp = await billing.client.post(
            "/internal/webhooks/stripe", content=body, headers={"Stripe-Signature": header}
        )
        assert resp.status_code == 400, payload
        assert resp.json()["error"]["code"] == "invalid_payload"


async def test_localstripe_driven_subscription_lifecycle_reaches_the_broker(
    billing: RunningBilling, changes: TopicReader, stripe_settings: dict[str, Any], localstripe: Any
) -> None:
    """localstripe signs and sends its own webhooks; billing re-reads the subscription."""
    org = new_org()
    client = sdk_client(stripe_settings)
    async with httpx.AsyncClient(base_url=localstripe.url) as ls:
        hook = await ls.post(
            f"/_config/webhooks/billing-{org}",
            data={
                "url": f"{billing.url}/internal/webhooks/stripe",
                "secret": billing.webhook_secret,
            },
        )
        assert hook.status_code == 200
    customer, sub = await subscribed_customer(client, org, "team", seats=4, tagged=False)

    (active,) = await changes.wait_for(about(org, status="active"), timeout=30)
    assert active.data["plan"] == "team"
    assert active.data["limits"]["seats"] == 4
    linked = await row(billing, BillingCustomer, org)
    assert linked is not None and linked.stripe_customer_id == customer

    await client.v1.subscriptions.cancel_async(sub.id)
    (canceled,) = await changes.wait_for(about(org, status="canceled"), timeout=30)
    assert canceled.data["plan"] == "free"
    await wait_until(lambda: _stored_status(billing, org, "canceled"))


async def test_checkout_completed_links_the_customer_and_stores_stripes_current_subscription(
    billing: RunningBilling, changes: TopicReader, stripe_settings: dict[str, Any]
) -> None:
    org = new_org()
    client = sdk_client(stripe_settings)
    # no org metadata at Stripe: the session's client_reference_id names the org
    customer, sub = await subscribed_customer(client, org, "business", seats=6, tagged=False)
    session = {
        "id": f"cs_test_{org}",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": org,
        "customer": customer,
        "subscription": sub.id,
        "status": "complete",
        "payment_status": "paid",
    }

    resp = await billing.post_event(stripe_event("checkout.session.completed", session))

    assert resp.json()["outcome"] == "applied"
    assert (await row(billing, BillingCustomer, org)).stripe_customer_id == customer
    stored = await row(billing, SubscriptionRecord, org)
    assert (stored.stripe_subscription_id, stored.plan, stored.seats) == (sub.id, "business", 6)
    (announced,) = await changes.wait_for(about(org))
    assert announced.data["plan"] == "business" and announced.data["limits"]["seats"] == 6


async def test_an_event_with_an_outdated_snapshot_stores_what_stripe_says_now(
    billing: RunningBilling, stripe_settings: dict[str, Any]
) -> None:
    org = new_org()
    client = sdk_client(stripe_settings)
    customer, live = await subscribed_customer(client, org, "business", seats=9)
    outdated = subscription_object(
        org_id=org, sub_id=live.id, customer=customer, plan="team", seats=1, status="past_due"
    )

    resp = await billing.post_event(stripe_event("customer.subscription.updated", outdated))

    assert resp.json()["outcome"] == "applied"
    stored = await row(billing, SubscriptionRecord, org)
    assert (stored.plan, stored.seats, stored.status) == ("business", 9, "active")
    assert stored.grace_until is None


async def _stored_status(billing: RunningBilling, org: str, status: str) -> bool:
    stored = await row(billing, SubscriptionRecord, org)
    return stored is not None and stored.status == status


def test_iso_is_utc() -> None:
    assert iso(0) == datetime(1970, 1, 1, tzinfo=UTC).isoformat()
