"""Billing's part of erasure and export requests.

Erasure. Invoices and the usage ledger are kept: tax law requires them (10 years under
§147 AO in Germany, 6 years for HMRC). What identifies a person in them is replaced by
a stable pseudonym: the uploader's user id on ledger rows, the user who started
checkout, and at Stripe the customer's name, email, phone and description. Billing
stores no names or emails itself. Erasing an organization also cancels its live Stripe
subscription (nobody is billed for a deleted organization).

Export. The organization's plan, invoices (ids and totals) and usage ledger, or a
user's own ledger rows, as one JSON document encrypted with the keyring (record
format, no associated data) in billing's bucket, announced by bucket and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from billing.adapters.stripe_gateway import StripeGateway, StripeRejected
from billing.adapters.tables import BillingCustomer, InvoiceRecord, SubscriptionRecord, UsageRecord
from billing.domain.pseudonyms import is_pseudonym, pseudonym, pseudonymous_email
from billing.domain.subscriptions import LIVE_STATUSES, iso
from clashtor_common import rights
from clashtor_common.crypto import fingerprint
from clashtor_common.events import Envelope
from clashtor_common.exportparts import item, write_part

if TYPE_CHECKING:  # the context holds service-layer workers: imported for its type only
    from billing.context import BillingContext

SERVICE = "billing"
KEPT = rights.KeptRecord(
    what="invoices and usage ledger",
    why="tax law: retained 10 years (e.g. §147 AO / HMRC 6 years)",
)


@dataclass
class PrivacyDeps:
    gateway: StripeGateway | None
    fingerprint_secret: str


async def _pseudonymize_user_refs(
    session: AsyncSession, org_id: str, user_id: str, secret: str
) -> int:
    alias = pseudonym(secret, "user", user_id)
    ledger = await session.execute(
        update(UsageRecord)
        .where(col(UsageRecord.org_id) == org_id, col(UsageRecord.user_ref) == user_id)
        .values(user_ref=alias)
    )
    customers = await session.execute(
        update(BillingCustomer)
        .where(col(BillingCustomer.org_id) == org_id, col(BillingCustomer.created_by) == user_id)
        .values(created_by=alias)
    )
    return (ledger.rowcount or 0) + (customers.rowcount or 0)  # type: ignore[attr-defined]


async def _pseudonymize_stripe_customer(
    deps: PrivacyDeps, customer_id: str, org_id: str, customer: dict[str, Any] | None = None
) -> int:
    """Replace the Stripe customer's contact fields by pseudonyms; 1 if anything changed."""
    assert deps.gateway is not None
    customer = customer or await deps.gateway.retrieve_customer(customer_id)
    if customer is None or customer.get("deleted"):
        return 0
    if is_pseudonym(customer.get("name")) and is_pseudonym(customer.get("email")):
        return 0
    secret = deps.fingerprint_secret
    await deps.gateway.update_customer(
        customer_id,
        {
            "name": pseudonym(secret, "customer", customer_id),
            "email": pseudonymous_email(secret, "customer", customer_id),
            "phone": "",
            "description": "",
            "metadata": {"org_id": org_id, "erased": "true"},
        },
        idempotency_key=f"clashtor-erase-customer-{customer_id}",
    )
    return 1


async def erase_subject(
    ctx: BillingContext, session: AsyncSession, event: Envelope, request: rights.ErasureRequested
) -> rights.ErasureCompleted:
    """Pseudonymize what identifies the subject; keep what tax law requires; say so. A
    pseudonymization Stripe refuses is answered ``failed``, saying why."""
    deps = PrivacyDeps(gateway=ctx.stripe, fingerprint_secret=ctx.fingerprint_secret)
    try:
        return await _erase(session, request, event.org_id, deps)
    except StripeRejected as exc:
        return rights.ErasureCompleted(
            request_id=request.request_id,
            service=SERVICE,
            status="failed",
            kept=[KEPT],
            details=f"Stripe refused the pseudonymization: {exc}",
        )


async def _erase(
    session: AsyncSession, request: rights.ErasureRequested, org_id: str, deps: PrivacyDeps
) -> rights.ErasureCompleted:
    subject = request.subject
    removed: dict[str, int] = {}
    customer = await session.get(BillingCustomer, org_id)
    details = ""
    status: Literal["completed", "failed"] = "completed"
    if subject.type == "organization":
        target = subject.id or org_id
        if target != org_id:
            details = f"organization {target} is not the event's organization; nothing done"
        else:
            rows = await session.execute(
                select(UsageRecord.user_ref)
                .where(UsageRecord.org_id == org_id, UsageRecord.user_ref.is_not(None))  # type: ignore[union-attr]
                .distinct()
            )
            users = {u for u in rows.scalars().all() if u and not is_pseudonym(u)}
            if customer and customer.created_by and not is_pseudonym(customer.created_by):
                users.add(customer.created_by)
            refs = 0
            for user in sorted(users):
                refs += await _pseudonymize_user_refs(
                    session, org_id, user, deps.fingerprint_secret
                )
            removed["user_references_pseudonymized"] = refs
            if customer is not None:
                if customer.erased_at is None:
                    customer.erased_at = datetime.now(UTC)
                    session.add(customer)
                if deps.gateway is None:
                    status = "failed"
                    details = (
                        f"Stripe is not configured: customer {customer.stripe_customer_id} "
                        "could not be pseudonymized at Stripe"
                    )
                else:
                    removed["stripe_customer_pseudonymized"] = await _pseudonymize_stripe_customer(
                        deps, customer.stripe_customer_id, org_id
                    )
                    removed["stripe_subscription_canceled"] = await _cancel_live_subscription(
                        session, org_id, deps
                    )
    elif subject.type == "user" and subject.id:
        removed["user_references_pseudonymized"] = await _pseudonymize_user_refs(
            session, org_id, subject.id, deps.fingerprint_secret
        )
        if customer is not None and deps.gateway and subject.fingerprint:
            # The user may be the billing contact Stripe holds for the organization.
            stripe_customer = await deps.gateway.retrieve_customer(customer.stripe_customer_id)
            email = (stripe_customer or {}).get("email")
            if email and fingerprint(deps.fingerprint_secret, email) == subject.fingerprint:
                removed["stripe_customer_pseudonymized"] = await _pseudonymize_stripe_customer(
                    deps, customer.stripe_customer_id, org_id, stripe_customer
                )
    else:
        details = f"billing holds no personal data about a {subject.type}"
    return rights.ErasureCompleted(
        request_id=request.request_id,
        service=SERVICE,
        status=status,
        removed=removed,
        kept=[KEPT],
        details=details,
    )


async def _cancel_live_subscription(session: AsyncSession, org_id: str, deps: PrivacyDeps) -> int:
    assert deps.gateway is not None
    rec = await session.get(SubscriptionRecord, org_id)
    if rec is None or not rec.stripe_subscription_id:
        return 0
    latest = await deps.gateway.retrieve_subscription(rec.stripe_subscription_id)
    if latest is None or latest.get("status") not in LIVE_STATUSES:
        return 0
    await deps.gateway.cancel_subscription(rec.stripe_subscription_id)
    return 1


def _times(row: object, names: str) -> dict[str, str | None]:
    """Billing keeps times as Unix seconds; an export shows them as ISO 8601."""
    return {name: iso(getattr(row, name)) for name in names.split()}


def _subscription_item(rec: SubscriptionRecord) -> dict[str, Any]:
    return item(
        "subscription",
        rec,
        "stripe_subscription_id plan status seats",
        **_times(rec, "period_start period_end grace_until"),
    )


def _invoice_item(inv: InvoiceRecord) -> dict[str, Any]:
    return item(
        "invoice",
        inv,
        "stripe_invoice_id number status currency amount_due amount_paid",
        **_times(inv, "period_start period_end"),
    )


def _usage_item(row: UsageRecord) -> dict[str, Any]:
    return item(
        "usage",
        row,
        "call_id minutes duration_seconds report_status",
        occurred_at=iso(row.occurred_at),
        user_id=row.user_ref,
    )


async def export_items(
    session: AsyncSession, request: rights.ExportRequested, org_id: str
) -> list[dict[str, Any]]:
    subject = request.subject
    items: list[dict[str, Any]] = []
    if subject.type == "organization" and (subject.id or org_id) == org_id:
        customer = await session.get(BillingCustomer, org_id)
        if customer is not None:
            items.append({"kind": "customer", "stripe_customer_id": customer.stripe_customer_id})
        rec = await session.get(SubscriptionRecord, org_id)
        if rec is not None:
            items.append(_subscription_item(rec))
        invoices = await session.execute(
            select(InvoiceRecord)
            .where(InvoiceRecord.org_id == org_id)
            .order_by(InvoiceRecord.stripe_created)  # type: ignore[arg-type]
        )
        items.extend(_invoice_item(i) for i in invoices.scalars().all())
        usage = await session.execute(
            select(UsageRecord).where(UsageRecord.org_id == org_id).order_by(UsageRecord.id)  # type: ignore[arg-type]
        )
        items.extend(_usage_item(u) for u in usage.scalars().all())
    elif subject.type == "user" and subject.id:
        usage = await session.execute(
            select(UsageRecord)
            .where(UsageRecord.org_id == org_id, UsageRecord.user_ref == subject.id)
            .order_by(UsageRecord.id)  # type: ignore[arg-type]
        )
        items.extend(_usage_item(u) for u in usage.scalars().all())
    return items


async def export_subject(
    ctx: BillingContext, session: AsyncSession, event: Envelope, request: rights.ExportRequested
) -> rights.ExportPartReady:
    """Billing's part of an export: an encrypted JSON object in S3, announced by its key."""
    items = await export_items(session, request, event.org_id)
    return await write_part(
        service=SERVICE, request=request, items=items, s3=ctx.s3, keyring=ctx.keyring
    )
