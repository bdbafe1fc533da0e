"""call-transcribed, erasure-requested and export-requested on the running service.

Events are published on the real broker; effects are read from billing's tables, the
local Stripe (localstripe + stub) and the topics billing answers on.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlmodel import func, select

from billing.adapters.tables import (
    BillingCustomer,
    InvoiceRecord,
    ReportStatus,
    SubscriptionRecord,
    UsageRecord,
)
from billing.domain.plans import PLANS
from billing.domain.pseudonyms import is_pseudonym
from billing.service_layer.privacy import KEPT
from billing.service_layer.reporting import meter_idempotency_key
from billing.service_layer.usage import record_call_usage
from clashtor_common.crypto import Keyring, fingerprint
from clashtor_common.events import (
    CallTranscribed,
    ExportRequested,
    ObjectRef,
    Subject,
    SubjectRectified,
)
from clashtor_common.inbox import InboxRecord
from clashtor_common.settings import DEV_FINGERPRINT_SECRET
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.kafka import topic_reader_fixture

from .support import (
    MASTER_KEYS,
    RunningBilling,
    TopicReader,
    billing_settings,
    event_for,
    invoice_object,
    new_org,
    paying_customer,
    publish,
    row,
    running_billing,
    sdk_client,
    stripe_event,
    subscribed_customer,
    subscription_object,
    wait_until,
)

METER_EVENTS = "/v1/billing/meter_events"


@pytest.fixture(scope="module")
async def billing(
    kafka_bootstrap: str,
    database_url: str,
    stripe_settings: dict[str, Any],
    s3_settings: dict[str, Any],
):
    settings = billing_settings(kafka_bootstrap, database_url, **stripe_settings, **s3_settings)
    async with running_billing(settings) as running:
        yield running


erasures = topic_reader_fixture("erasure-completed")
exports = topic_reader_fixture("export-part-ready")


@pytest.fixture
def stripe(stripe_settings: dict[str, Any]):  # type: ignore[no-untyped-def]
    return sdk_client(stripe_settings)


def transcribed(call_id: str, seconds: float, uploader: str = "user-7") -> CallTranscribed:
    return CallTranscribed(
        call_id=call_id,
        uploader_id=uploader,
        transcript=ObjectRef(bucket="transcribe", key="transcripts/gone.json.enc"),
        engine="local",
        model="tiny.en",
        language="en",
        duration=seconds,
        channels=1,
        speakers=2,
        word_count=150,
    )


async def subscribed_org(billing: RunningBilling, stripe: Any, **customer: str) -> tuple[str, str]:
    """An organization with a Stripe customer and an active team subscription."""
    org = new_org()
    customer_id = await paying_customer(stripe, org, **customer)
    sub = subscription_object(org_id=org, customer=customer_id, plan="team", seats=2)
    resp = await billing.post_event(stripe_event("customer.subscription.created", sub))
    assert resp.json()["outcome"] == "applied"
    return org, customer_id


async def ledger(billing: RunningBilling, org: str) -> list[UsageRecord]:
    async with billing.runtime.db.session() as session:
        rows = await session.execute(
            select(UsageRecord).where(UsageRecord.org_id == org).order_by(UsageRecord.id)  # type: ignore[arg-type]
        )
        return list(rows.scalars().all())


async def test_the_same_call_delivered_three_times_is_billed_once(
    billing: RunningBilling, kafka_bootstrap: str, stripe_stub: Any, stripe: Any
) -> None:
    org, customer_id = await subscribed_org(billing, stripe)
    call_id = str(uuid.uuid4())
    first = event_for(transcribed(call_id, 61.5), org, key=org)
    replay = event_for(transcribed(call_id, 61.5), org, key=org)  # new event id, same call
    marker = event_for(transcribed(str(uuid.uuid4()), 5), org, key=org)  # same partition, after
    stripe_stub.fail_next(METER_EVENTS, status=429)  # the first report is retried

    await publish(kafka_bootstrap, first, first, replay, marker)

    await wait_until(lambda: _reported(billing, org, 2), timeout=60)
    rows = [r for r in await ledger(billing, org) if r.call_id == call_id]
    assert len(rows) == 1
    assert (rows[0].minutes, rows[0].report_status) == (2, ReportStatus.REPORTED)
    assert rows[0].source_event_id == str(first.id)
    (metered,) = stripe_stub.meter_events_for(call_id)
    assert metered["payload"] == {"stripe_customer_id": customer_id, "value": "2"}
    sends = [
        r for r in stripe_stub.requests_to(METER_EVENTS) if r.params.get("identifier") == call_id
    ]
    assert [s.status for s in sends] == [429, 200]
    assert {s.idempotency_key for s in sends} == {meter_idempotency_key(call_id)}

    # A crash between sending and marking the row: the next round sends it again,
    # with the same identifier and key, and Stripe still counts it once.
    async with billing.runtime.db.session() as session:
        rows[0].report_status = ReportStatus.PENDING
        session.add(rows[0])
    assert await billing.context.reporter.report_pending() >= 1  # type: ignore[union-attr]
    sends = [
        r for r in stripe_stub.requests_to(METER_EVENTS) if r.params.get("identifier") == call_id
    ]
    # (the background reporter may also pick the row up: more sends, never more events)
    assert len(sends) >= 3 and {s.idempotency_key for s in sends} == {
        meter_idempotency_key(call_id)
    }
    assert len(stripe_stub.meter_events_for(call_id)) == 1


async def _reported(billing: RunningBilling, org: str, count: int) -> bool:
    rows = await ledger(billing, org)
    return len(rows) >= count and all(r.report_status == ReportStatus.REPORTED for r in rows)


async def test_usage_reports_the_period_minutes_for_the_callers_organization_only(
    billing: RunningBilling, kafka_bootstrap: str, stripe: Any
) -> None:
    org, _ = await subscribed_org(billing, stripe)
    calls = [event_for(transcribed(str(uuid.uuid4()), s), org, key=org) for s in (30, 90, 600)]
    await publish(kafka_bootstrap, *calls)
    await wait_until(lambda: _count(billing, org, 3), timeout=60)

    mine = await billing.client.get("/internal/usage", headers=billing.as_member(org, role="rep"))
    other = await billing.client.get("/internal/usage", headers=billing.as_member(new_org()))

    assert mine.status_code == 200
    body = mine.json()
    assert (body["plan"], body["calls"], body["minutes_used"]) == ("team", 3, 1 + 2 + 10)
    assert body["minutes_included"] == PLANS["team"].included_minutes
    assert body["minutes_overage"] == 0
    assert other.json()["minutes_used"] == 0 and other.json()["plan"] == "free"
    anonymous = await billing.client.get("/internal/usage")
    assert anonymous.status_code == 401


async def _count(billing: RunningBilling, org: str, n: int) -> bool:
    return len(await ledger(billing, org)) >= n


async def test_without_stripe_or_a_paid_plan_usage_is_kept_but_not_reported(
    billing: RunningBilling,
) -> None:
    free_org, unconfigured_org = new_org(), new_org()
    async with billing.runtime.db.session() as session:

        async def record(org_id: str, call_id: str, seconds: int, *, stripe: bool) -> Any:
            """A call's usage as the call-transcribed handler records it (a new event id)."""
            call = transcribed(call_id, seconds, "u1")
            return await record_call_usage(
                session, event_for(call, org_id), call, stripe_configured=stripe
            )

        kept_local = await record(unconfigured_org, "c-local", 125, stripe=False)
        free = await record(free_org, "c-free", 30, stripe=True)
        again = await record(free_org, "c-free", 30, stripe=True)
    assert kept_local is not None and kept_local.report_status == ReportStatus.UNREPORTED
    assert kept_local.minutes == 3
    assert free is not None and free.report_status == ReportStatus.NOT_BILLABLE
    assert again is None
    usage = await billing.client.get("/internal/usage", headers=billing.as_member(unconfigured_org))
    assert usage.json()["minutes_unreported"] == 3


async def test_erasing_an_organization_keeps_invoices_and_ledger_and_pseudonymizes_people(
    billing: RunningBilling,
    kafka_bootstrap: str,
    erasures: TopicReader,
    stripe: Any,
    stripe_settings: dict[str, Any],
) -> None:
    org = new_org()
    customer_id, live = await subscribed_customer(
        stripe, org, "team", name="Grace Hopper", email="grace@navy.test"
    )
    sub = live.to_dict()
    assert (await billing.post_event(stripe_event("customer.subscription.created", sub))).json()[
        "outcome"
    ] == "applied"
    invoice = invoice_object(subscription=subscription_object(org_id=org, customer=customer_id))
    await billing.post_event(stripe_event("invoice.paid", invoice))
    await publish(
        kafka_bootstrap, event_for(transcribed(str(uuid.uuid4()), 300, "user-grace"), org)
    )
    await wait_until(lambda: _count(billing, org, 1), timeout=60)

    request = erasure_requested("organization", org)
    await publish(kafka_bootstrap, event_for(request, org))

    (done,) = await erasures.wait_for(lambda e: e.data["request_id"] == request.request_id)
    assert done.data["service"] == "billing" and done.data["status"] == "completed"
    assert done.data["kept"] == [KEPT.model_dump()]
    assert done.data["removed"] == {
        "user_references_pseudonymized": 1,
        "stripe_customer_pseudonymized": 1,
        "stripe_subscription_canceled": 1,
    }
    assert await row(billing, InvoiceRecord, invoice["id"]) is not None
    (usage,) = await ledger(billing, org)
    assert usage.user_ref != "user-grace" and is_pseudonym(usage.user_ref)
    at_stripe = (await stripe.v1.customers.retrieve_async(customer_id)).to_dict()
    assert "Grace" not in json.dumps(at_stripe) and "navy" not in json.dumps(at_stripe)
    assert is_pseudonym(at_stripe["name"]) and at_stripe["email"].endswith("@erased.invalid")
    assert (await stripe.v1.subscriptions.retrieve_async(sub["id"])).status == "canceled"
    customer_row = await row(billing, BillingCustomer, org)
    assert customer_row.erased_at is not None

    # A re-sent request finds nothing left to change and says so again.
    await publish(kafka_bootstrap, event_for(request, org))
    both = await erasures.wait_for(lambda e: e.data["request_id"] == request.request_id, count=2)
    assert both[1].data["removed"]["stripe_customer_pseudonymized"] == 0
    assert both[1].data["kept"] == [KEPT.model_dump()]


async def test_erasing_a_user_pseudonymizes_their_ledger_rows_and_the_matching_billing_contact(
    billing: RunningBilling, kafka_bootstrap: str, erasures: TopicReader, stripe: Any
) -> None:
    org, customer_id = await subscribed_org(billing, stripe, name="Ops Team", email="ops@acme.test")
    await publish(
        kafka_bootstrap,
        event_for(transcribed(str(uuid.uuid4()), 60, "user-a"), org, key=org),
        event_for(transcribed(str(uuid.uuid4()), 60, "user-b"), org, key=org),
    )
    await wait_until(lambda: _count(billing, org, 2), timeout=60)
    request = erasure_requested(
        "user", "user-a", fingerprint=fingerprint(DEV_FINGERPRINT_SECRET, "OPS@acme.test ")
    )
    await publish(kafka_bootstrap, event_for(request, org))

    (done,) = await erasures.wait_for(lambda e: e.data["request_id"] == request.request_id)
    assert done.data["removed"] == {
        "user_references_pseudonymized": 1,
        "stripe_customer_pseudonymized": 1,
    }
    refs = sorted(r.user_ref or "" for r in await ledger(billing, org))
    assert "user-a" not in refs and "user-b" in refs
    at_stripe = (await stripe.v1.customers.retrieve_async(customer_id)).to_dict()
    assert at_stripe["email"] != "ops@acme.test" and is_pseudonym(at_stripe["name"])


async def test_erasing_a_participant_reports_nothing_held_and_what_is_kept(
    billing: RunningBilling, kafka_bootstrap: str, erasures: TopicReader
) -> None:
    org = new_org()
    request = erasure_requested("participant", fingerprint="ab" * 32)
    await publish(kafka_bootstrap, event_for(request, org))
    (done,) = await erasures.wait_for(lambda e: e.data["request_id"] == request.request_id)
    assert done.data["removed"] == {} and done.data["status"] == "completed"
    assert done.data["kept"] == [KEPT.model_dump()]
    assert "participant" in done.data["details"]


async def test_export_puts_plan_invoices_and_ledger_in_an_encrypted_part(
    billing: RunningBilling, kafka_bootstrap: str, exports: TopicReader, stripe: Any
) -> None:
    org, customer_id = await subscribed_org(billing, stripe)
    invoice = invoice_object(subscription=subscription_object(org_id=org, customer=customer_id))
    await billing.post_event(stripe_event("invoice.paid", invoice))
    call_id = str(uuid.uuid4())
    await publish(kafka_bootstrap, event_for(transcribed(call_id, 150), org))
    await wait_until(lambda: _count(billing, org, 1), timeout=60)

    request = ExportRequested(
        request_id=str(uuid.uuid4()), subject=Subject(type="organization", id=org)
    )
    nothing = ExportRequested(
        request_id=str(uuid.uuid4()), subject=Subject(type="participant", id="p1")
    )
    await publish(kafka_bootstrap, event_for(request, org), event_for(nothing, org))

    (ready,) = await exports.wait_for(lambda e: e.data["request_id"] == request.request_id)
    blob = await billing.context.s3.read(ObjectRef(**ready.data["part"]))
    assert b"clashtor" not in blob and call_id.encode() not in blob  # encrypted at rest
    document = json.loads(Keyring.from_config(MASTER_KEYS).decrypt(blob))
    assert document["service"] == "billing" and document["request_id"] == request.request_id
    assert document["subject"] == {"type": "organization", "id": org, "fingerprint": None}
    kinds = {i["kind"]: i for i in document["items"]}
    assert kinds["subscription"]["plan"] == "team"
    assert kinds["invoice"]["stripe_invoice_id"] == invoice["id"]
    assert kinds["usage"]["call_id"] == call_id and kinds["usage"]["minutes"] == 3
    assert ready.data["items"] == len(document["items"])
    assert "grace@" not in json.dumps(document)
    (empty,) = await exports.wait_for(lambda e: e.data["request_id"] == nothing.request_id)
    assert empty.data["part"] is None and empty.data["items"] == 0


async def test_tables_never_hold_card_data_or_contact_details() -> None:
    forbidden = ("card", "email", "name", "address", "phone", "iban")
    for table in (BillingCustomer, SubscriptionRecord, InvoiceRecord, UsageRecord):
        columns = table.__table__.columns.keys()  # type: ignore[attr-defined]
        assert not [c for c in columns if any(f in c for f in forbidden)], table.__name__


async def test_subscription_rows_count_one_per_org(billing: RunningBilling) -> None:
    async with billing.runtime.db.session() as session:
        total = (
            await session.execute(select(func.count()).select_from(SubscriptionRecord))
        ).scalar_one()
        distinct = (
            await session.execute(select(func.count(func.distinct(SubscriptionRecord.org_id))))
        ).scalar_one()
    assert total == distinct


# --- subject-rectified ---------------------------------------------------------------------
async def claim_check(billing: RunningBilling, changes: dict[str, str]) -> tuple[ObjectRef, str]:
    """A claim check in privacy's record format: its object reference and its key."""
    key = f"claims/{uuid.uuid4().hex}.json"
    document = {"request_id": "r", "changes": changes}
    await billing.context.s3.put_bytes(
        key, billing.context.keyring.encrypt(json.dumps(document).encode())
    )
    return billing.context.s3.ref(key), key


async def rectify(
    billing: RunningBilling, kafka_bootstrap: str, org: str, subject: Subject, changes: ObjectRef
) -> tuple[SubjectRectified, Any]:
    change = SubjectRectified(request_id=str(uuid.uuid4()), subject=subject, changes=changes)
    event = event_for(change, org, key=org)
    await publish(kafka_bootstrap, event)
    await wait_until(lambda: _handled(billing, event.id), timeout=60)
    return change, event


async def _handled(billing: RunningBilling, event_id: uuid.UUID) -> bool:
    async with billing.runtime.db.session() as session:
        rows = await session.execute(select(InboxRecord).where(InboxRecord.event_id == event_id))
        return rows.first() is not None


async def customer_of_new_org(
    billing: RunningBilling, stripe: Any, created_by: str, **contact: str
) -> tuple[str, str]:
    """A new organization and its Stripe customer as checkout leaves it (with billing's row
    naming who started it): the organization's id and the customer's."""
    org = new_org()
    customer_id = await paying_customer(stripe, org, **contact)
    async with billing.runtime.db.session() as session:
        session.add(
            BillingCustomer(org_id=org, stripe_customer_id=customer_id, created_by=created_by)
        )
    return org, customer_id


async def at_stripe(stripe: Any, customer_id: str) -> tuple[str, str]:
    customer = (await stripe.v1.customers.retrieve_async(customer_id)).to_dict()
    return customer["name"], customer["email"]


async def test_a_rectified_user_updates_the_stripe_customer_they_set_up_once(
    billing: RunningBilling, kafka_bootstrap: str, stripe: Any, stripe_stub: Any
) -> None:
    org, customer_id = await customer_of_new_org(
        billing, stripe, "user-ada", name="Ada Byron", email="ada@byron.test"
    )
    changes = {"name": "Ada Lovelace", "email": "ada@lovelace.test"}
    url, _ = await claim_check(billing, changes)
    change, _ = await rectify(
        billing, kafka_bootstrap, org, Subject(type="user", id="user-ada"), url
    )
    assert await at_stripe(stripe, customer_id) == ("Ada Lovelace", "ada@lovelace.test")
    updates = [
        r for r in stripe_stub.requests_to(f"/v1/customers/{customer_id}") if r.method == "POST"
    ]
    assert [(u.params, u.idempotency_key) for u in updates] == [
        (changes, f"clashtor-rectify-{change.request_id}-{customer_id}")
    ]

    # The same change again (a re-emission with a new event id): nothing to write.
    again = event_for(change, org, key=org)
    await publish(kafka_bootstrap, again)
    await wait_until(lambda: _handled(billing, again.id), timeout=60)
    updates = [
        r for r in stripe_stub.requests_to(f"/v1/customers/{customer_id}") if r.method == "POST"
    ]
    assert len(updates) == 1


async def test_a_user_is_matched_by_the_fingerprint_of_their_previous_email(
    billing: RunningBilling, kafka_bootstrap: str, stripe: Any
) -> None:
    org, customer_id = await customer_of_new_org(
        billing, stripe, "user-owner", name="Billing Contact", email="Pat@Acme.test"
    )
    url, _ = await claim_check(billing, {"email": "pat.new@acme.test"})
    someone_else = Subject(
        type="user", id="user-x", fingerprint=fingerprint(DEV_FINGERPRINT_SECRET, "x@acme.test")
    )
    await rectify(billing, kafka_bootstrap, org, someone_else, url)
    assert await at_stripe(stripe, customer_id) == ("Billing Contact", "Pat@Acme.test")

    pat = Subject(
        type="user", id="user-pat", fingerprint=fingerprint(DEV_FINGERPRINT_SECRET, "pat@acme.test")
    )
    await rectify(billing, kafka_bootstrap, org, pat, url)
    assert await at_stripe(stripe, customer_id) == ("Billing Contact", "pat.new@acme.test")


async def test_an_organization_rectification_renames_its_customer_unless_erased_or_gone(
    billing: RunningBilling, kafka_bootstrap: str, stripe: Any, stripe_stub: Any
) -> None:
    org, customer_id = await customer_of_new_org(
        billing, stripe, "user-1", name="Acme Ltd", email="billing@acme.test"
    )
    url, _ = await claim_check(billing, {"name": "Acme Group Ltd"})
    await rectify(billing, kafka_bootstrap, org, Subject(type="organization", id=org), url)
    assert await at_stripe(stripe, customer_id) == ("Acme Group Ltd", "billing@acme.test")

    # The subject was erased meanwhile: privacy deleted the claim check.
    gone_url, gone_key = await claim_check(billing, {"name": "Acme Zombie Ltd"})
    await billing.context.s3.delete(gone_key)
    await rectify(billing, kafka_bootstrap, org, Subject(type="organization", id=org), gone_url)
    assert await at_stripe(stripe, customer_id) == ("Acme Group Ltd", "billing@acme.test")

    # A customer pseudonymized by an erasure is never written again.
    async with billing.runtime.db.session() as session:
        row = await session.get(BillingCustomer, org)
        row.erased_at = row.created_at
        session.add(row)
    url, _ = await claim_check(billing, {"name": "Acme Revived Ltd"})
    await rectify(billing, kafka_bootstrap, org, Subject(type="organization", id=org), url)
    assert await at_stripe(stripe, customer_id) == ("Acme Group Ltd", "billing@acme.test")
    names = [
        r.params.get("name")
        for r in stripe_stub.requests_to(f"/v1/customers/{customer_id}")
        if r.method == "POST"
    ]
    assert names == ["Acme Group Ltd"]


async def test_a_customer_pseudonymized_at_stripe_is_left_alone(
    billing: RunningBilling, kafka_bootstrap: str, stripe: Any
) -> None:
    """The billing contact was erased (their Stripe fields are pseudonyms): the user who
    set up billing changing their name does not write personal data back."""
    org, customer_id = await customer_of_new_org(
        billing, stripe, "user-setup", name="Gone Person", email="gone@acme.test"
    )
    erasure = erasure_requested(
        "user", "user-gone", fingerprint=fingerprint(DEV_FINGERPRINT_SECRET, "gone@acme.test")
    )
    await publish(kafka_bootstrap, event_for(erasure, org, key=org))
    await wait_until(lambda: _pseudonymized(stripe, customer_id), timeout=60)
    async with billing.runtime.db.session() as session:
        assert (await session.get(BillingCustomer, org)).created_by == "user-setup"
    url, _ = await claim_check(billing, {"name": "Setup Person"})
    await rectify(billing, kafka_bootstrap, org, Subject(type="user", id="user-setup"), url)
    name, _ = await at_stripe(stripe, customer_id)
    assert is_pseudonym(name)


async def _pseudonymized(stripe: Any, customer_id: str) -> bool:
    name, _ = await at_stripe(stripe, customer_id)
    return is_pseudonym(name)
