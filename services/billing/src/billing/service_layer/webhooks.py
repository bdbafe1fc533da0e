"""Stripe webhook events: each handled once, none rolling a subscription back.

``process`` runs after the signature was checked. It records the Stripe event id in
``billing_stripe_events`` in the same transaction as the event's effect, so a retried
delivery or a replay is answered 200 and changes nothing. Stripe is read (the current
subscription, a customer's metadata) before that transaction opens, never inside it.

Handled: ``checkout.session.completed`` (links the Stripe customer to the organization),
``customer.subscription.created|updated|deleted``, ``invoice.paid`` and
``invoice.payment_failed`` (invoice ids and totals kept, subscription status moved).
Other event types are recorded as ``ignored``. The organization comes from the
``org_id`` metadata of the subscription or checkout session, else from the customer
billing created (or its ``org_id`` metadata at Stripe).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from billing.adapters.stripe_gateway import StripeGateway
from billing.adapters.tables import BillingCustomer, InvoiceRecord, StripeEventRecord
from billing.domain.subscriptions import (
    SubscriptionSnapshot,
    UnreadableSubscription,
    parse_subscription,
)
from billing.service_layer.subscriptions import apply_change, snapshot_change, status_change
from clashtor_common.db import Database

log = logging.getLogger(__name__)

CHECKOUT_COMPLETED = "checkout.session.completed"
SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
INVOICE_STATUS = {"invoice.paid": "active", "invoice.payment_failed": "past_due"}
HANDLED = SUBSCRIPTION_EVENTS | set(INVOICE_STATUS) | {CHECKOUT_COMPLETED}


class MalformedEvent(ValueError):
    """Signed by Stripe but not shaped like a Stripe event."""


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    outcome: str
    """applied | linked | stale | duplicate | ignored | unmatched | unknown_plan"""
    org_id: str | None = None


@dataclass
class _Facts:
    """What Stripe and our tables say, gathered before the transaction."""

    subscription_id: str | None = None
    customer_id: str | None = None
    latest_subscription: dict[str, Any] | None = None
    org_id: str | None = None


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return value.get("id")
    return value if isinstance(value, str) else None


def _invoice_subscription(invoice: Mapping[str, Any]) -> str | None:
    """The invoice's subscription, before and after Stripe moved it under ``parent``."""
    direct = _id(invoice.get("subscription"))
    if direct:
        return direct
    parent = invoice.get("parent") or {}
    return _id((parent.get("subscription_details") or {}).get("subscription"))


def _metadata_org(obj: Mapping[str, Any]) -> str | None:
    meta = obj.get("metadata") or {}
    if meta.get("org_id"):
        return str(meta["org_id"])
    details = obj.get("subscription_details") or (obj.get("parent") or {}).get(
        "subscription_details"
    )
    if details and (details.get("metadata") or {}).get("org_id"):
        return str(details["metadata"]["org_id"])
    return None


class WebhookProcessor:
    def __init__(self, db: Database, gateway: StripeGateway | None, *, grace_seconds: int) -> None:
        self.db = db
        self.gateway = gateway
        self.grace_seconds = grace_seconds

    async def process(self, event: Mapping[str, Any]) -> WebhookOutcome:
        try:
            event_id = str(event["id"])
            etype = str(event["type"])
            created = int(event["created"])
            obj = event["data"]["object"]
            if not isinstance(obj, Mapping):
                raise TypeError("data.object is not an object")
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent(f"not a Stripe event: {exc}") from exc
        if await self._seen(event_id):
            return WebhookOutcome(event_id, etype, "duplicate")
        try:
            return await self._process(event_id, etype, created, obj)
        except (AttributeError, TypeError, ValueError) as exc:
            log.warning("stripe event %s %s unreadable", event_id, etype, exc_info=exc)
            raise MalformedEvent(f"{etype} {event_id} has an unexpected shape: {exc}") from exc

    async def _process(
        self, event_id: str, etype: str, created: int, obj: Mapping[str, Any]
    ) -> WebhookOutcome:
        facts = await self._gather(etype, obj) if etype in HANDLED else _Facts()
        for attempt in range(3):
            try:
                async with self.db.session() as session:
                    # Claim the event id first: a concurrent delivery of the same event
                    # fails here (or at commit) and the whole transaction rolls back.
                    record = StripeEventRecord(event_id=event_id, type=etype, created=created)
                    session.add(record)
                    await session.flush()
                    outcome, org_id = await self._apply(session, etype, obj, created, facts)
                    record.outcome = outcome
                    record.org_id = org_id
                    session.add(record)
                log.info("stripe event %s %s: %s (org %s)", event_id, etype, outcome, org_id)
                return WebhookOutcome(event_id, etype, outcome, org_id)
            except IntegrityError:
                # A concurrent delivery claimed the event, or created the same
                # organization's rows first: nothing of ours committed; look again.
                if await self._seen(event_id):
                    return WebhookOutcome(event_id, etype, "duplicate")
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _seen(self, event_id: str) -> bool:
        async with self.db.session() as session:
            return await session.get(StripeEventRecord, event_id) is not None

    async def _gather(self, etype: str, obj: Mapping[str, Any]) -> _Facts:
        facts = _Facts(customer_id=_id(obj.get("customer")))
        if etype in SUBSCRIPTION_EVENTS:
            facts.subscription_id = _id(obj.get("id"))
        elif etype == CHECKOUT_COMPLETED:
            facts.subscription_id = _id(obj.get("subscription"))
        else:
            facts.subscription_id = _invoice_subscription(obj)
        if self.gateway and facts.subscription_id:
            facts.latest_subscription = await self.gateway.retrieve_subscription(
                facts.subscription_id
            )
        facts.org_id = (
            (str(obj["client_reference_id"]) if obj.get("client_reference_id") else None)
            or _metadata_org(obj)
            or (_metadata_org(facts.latest_subscription) if facts.latest_subscription else None)
        )
        if facts.org_id is None and facts.customer_id:
            facts.org_id = await self._org_of_customer(facts.customer_id)
        return facts

    async def _org_of_customer(self, customer_id: str) -> str | None:
        async with self.db.session() as session:
            found = await session.execute(
                select(BillingCustomer.org_id).where(
                    BillingCustomer.stripe_customer_id == customer_id
                )
            )
            org = found.scalar_one_or_none()
        if org is None and self.gateway:
            customer = await self.gateway.retrieve_customer(customer_id)
            org = _metadata_org(customer) if customer else None
        return org

    async def _apply(
        self,
        session: AsyncSession,
        etype: str,
        obj: Mapping[str, Any],
        created: int,
        facts: _Facts,
    ) -> tuple[str, str | None]:
        if etype not in HANDLED:
            return "ignored", None
        org_id = facts.org_id
        if org_id is None:
            log.warning("stripe %s for customer %s names no organization", etype, facts.customer_id)
            return "unmatched", None
        now = int(time.time())
        outcome = "applied"
        if etype == CHECKOUT_COMPLETED:
            await self._link_customer(session, org_id, facts.customer_id)
            outcome = "linked"
        elif etype in INVOICE_STATUS:
            await self._keep_invoice(session, org_id, obj, created)
        snapshot_source = facts.latest_subscription
        if snapshot_source is None and etype in SUBSCRIPTION_EVENTS:
            snapshot_source = dict(obj)
        customer_id: str | None = None
        if snapshot_source is not None:
            try:
                snapshot: SubscriptionSnapshot = parse_subscription(snapshot_source)
            except UnreadableSubscription as exc:
                log.warning("stripe %s for org %s: %s", etype, org_id, exc)
                return "unknown_plan", org_id
            await self._link_customer(session, org_id, snapshot.customer_id)
            change = snapshot_change(snapshot, created, self.grace_seconds)
            customer_id = snapshot.customer_id
        elif etype in INVOICE_STATUS and facts.subscription_id:
            status = INVOICE_STATUS[etype]
            change = status_change(facts.subscription_id, status, created, self.grace_seconds)
        else:
            return outcome, org_id
        applied = await apply_change(
            session, org_id=org_id, change=change, stamp=created, now=now, customer_id=customer_id
        )
        return applied, org_id

    async def _link_customer(
        self, session: AsyncSession, org_id: str, customer_id: str | None
    ) -> None:
        if not customer_id:
            return
        existing = await session.get(BillingCustomer, org_id)
        if existing is None:
            owner = await session.execute(
                select(BillingCustomer.org_id).where(
                    BillingCustomer.stripe_customer_id == customer_id
                )
            )
            other = owner.scalar_one_or_none()
            if other is not None:
                log.warning(
                    "Stripe customer %s belongs to org %s, not %s; not linking it",
                    customer_id,
                    other,
                    org_id,
                )
                return
            session.add(BillingCustomer(org_id=org_id, stripe_customer_id=customer_id))
            await session.flush()
        elif existing.stripe_customer_id != customer_id:
            log.warning(
                "org %s already has Stripe customer %s; keeping it (event names %s)",
                org_id,
                existing.stripe_customer_id,
                customer_id,
            )

    async def _keep_invoice(
        self, session: AsyncSession, org_id: str, invoice: Mapping[str, Any], created: int
    ) -> None:
        invoice_id = _id(invoice.get("id"))
        if not invoice_id:
            return
        row = await session.get(InvoiceRecord, invoice_id)
        if row is not None and row.stripe_updated > created:
            return
        if row is None:
            row = InvoiceRecord(stripe_invoice_id=invoice_id, org_id=org_id, status="draft")
        row.stripe_subscription_id = _invoice_subscription(invoice)
        row.number = invoice.get("number")
        row.status = str(invoice.get("status") or row.status)
        row.currency = invoice.get("currency")
        row.amount_due = int(invoice.get("amount_due") or 0)
        row.amount_paid = int(invoice.get("amount_paid") or 0)
        row.period_start = invoice.get("period_start")
        row.period_end = invoice.get("period_end")
        row.stripe_created = invoice.get("created")
        row.stripe_updated = created
        session.add(row)
