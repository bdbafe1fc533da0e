"""Billing's tables. No card data, no names or emails: Stripe ids, plan, status, usage.

Times that come from Stripe or describe usage are Unix seconds (``int``), as Stripe
sends them; audit times are timezone-aware datetimes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from clashtor_common.db import timestamp_column, utcnow


def _ts_column(nullable: bool = True, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(BigInteger, nullable=nullable, index=index)


class BillingCustomer(SQLModel, table=True):
    """An organization's Stripe customer (created without name or email)."""

    __tablename__ = "billing_customers"

    org_id: str = Field(primary_key=True, max_length=64)
    stripe_customer_id: str = Field(unique=True, max_length=255)
    created_by: str | None = Field(
        default=None,
        max_length=100,
        description="user who started checkout (pseudonymized on erasure)",
    )
    erased_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class SubscriptionRecord(SQLModel, table=True):
    """The organization's current subscription, as last applied from Stripe."""

    __tablename__ = "billing_subscriptions"

    org_id: str = Field(primary_key=True, max_length=64)
    stripe_subscription_id: str | None = Field(default=None, index=True, max_length=255)
    stripe_customer_id: str | None = Field(default=None, max_length=255)
    plan: str = Field(max_length=32)
    status: str = Field(max_length=32)
    seats: int = 1
    period_start: int | None = Field(default=None, sa_column=_ts_column())
    period_end: int | None = Field(default=None, sa_column=_ts_column())
    grace_until: int | None = Field(default=None, sa_column=_ts_column(index=True))
    stripe_updated: int = Field(default=0, sa_column=_ts_column(nullable=False))
    announced_plan: str = Field(default="free", max_length=32, description="last announced plan")
    announced_key: str = Field(
        default="", max_length=300, description="what the last subscription-changed said"
    )
    announced_stamp: int = Field(
        default=0,
        sa_column=_ts_column(nullable=False),
        description="stripe_updated of the last subscription-changed (strictly increasing)",
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class StripeEventRecord(SQLModel, table=True):
    """Webhook inbox: one row per Stripe event id, written with the event's effect."""

    __tablename__ = "billing_stripe_events"

    event_id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    created: int = Field(sa_column=_ts_column(nullable=False))
    org_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(default="received", max_length=32)
    received_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class InvoiceRecord(SQLModel, table=True):
    """An invoice's ids and totals (kept for tax law; no customer name, email or address)."""

    __tablename__ = "billing_invoices"

    stripe_invoice_id: str = Field(primary_key=True, max_length=255)
    org_id: str = Field(index=True, max_length=64)
    stripe_subscription_id: str | None = Field(default=None, max_length=255)
    number: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=32)
    currency: str | None = Field(default=None, max_length=8)
    amount_due: int = 0
    amount_paid: int = 0
    period_start: int | None = Field(default=None, sa_column=_ts_column())
    period_end: int | None = Field(default=None, sa_column=_ts_column())
    stripe_created: int | None = Field(default=None, sa_column=_ts_column())
    stripe_updated: int = Field(default=0, sa_column=_ts_column(nullable=False))


class UsageRecord(SQLModel, table=True):
    """Usage ledger: one row per transcribed call, reported to Stripe's meter once."""

    __tablename__ = "billing_usage"
    __table_args__ = (UniqueConstraint("org_id", "call_id", name="uq_billing_usage_org_call"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=64)
    call_id: str = Field(max_length=64)
    minutes: int
    duration_seconds: float
    user_ref: str | None = Field(
        default=None, max_length=100, description="uploader user id (pseudonymized on erasure)"
    )
    occurred_at: int = Field(sa_column=_ts_column(nullable=False, index=True))
    source_event_id: str = Field(max_length=36)
    stripe_customer_id: str | None = Field(default=None, max_length=255)
    report_status: str = Field(default="pending", index=True, max_length=16)
    report_attempts: int = 0
    next_report_at: int = Field(default=0, sa_column=_ts_column(nullable=False))
    reported_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ReportStatus:
    PENDING = "pending"
    REPORTED = "reported"
    UNREPORTED = "unreported"
    NOT_BILLABLE = "not_billable"
    FAILED = "failed"


TABLES: tuple[type[SQLModel], ...] = (
    BillingCustomer,
    SubscriptionRecord,
    StripeEventRecord,
    InvoiceRecord,
    UsageRecord,
)
