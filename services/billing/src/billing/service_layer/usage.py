"""The usage ledger: one row per transcribed call, and what an organization used.

A call is recorded once per (organization, call id) whatever the event id that brings
it: the inbox drops a redelivered event, the unique key drops a replayed or re-emitted
one. A row is born ``pending`` (reported to Stripe by the reporter), ``unreported``
(Stripe not configured: the ledger is the record) or ``not_billable`` (no paid plan).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from billing.adapters.tables import BillingCustomer, ReportStatus, SubscriptionRecord, UsageRecord
from billing.domain.plans import FREE
from billing.domain.subscriptions import effective
from billing.domain.usage import billable_minutes, current_period, overage
from billing.service_layer.subscriptions import to_state
from clashtor_common.db import CommitSignal
from clashtor_common.events import CallTranscribed, Envelope

log = logging.getLogger(__name__)

#: Raised by a transaction that added a pending row: wakes the usage reporter at its commit.
USAGE_DIRTY = CommitSignal("billing_usage_dirty")


async def record_call_usage(
    session: AsyncSession, event: Envelope, call: CallTranscribed, *, stripe_configured: bool
) -> UsageRecord | None:
    """Add the call's minutes to the ledger; None if the call is already there."""
    org_id, call_id = event.org_id, call.call_id
    occurred_at = int(event.time.timestamp())
    existing = await session.execute(
        select(UsageRecord.id).where(UsageRecord.org_id == org_id, UsageRecord.call_id == call_id)
    )
    if existing.first() is not None:
        log.info("usage of call %s (org %s) already recorded", call_id, org_id)
        return None
    minutes = billable_minutes(call.duration)
    customer = await session.get(BillingCustomer, org_id)
    plan_now = effective(to_state(await session.get(SubscriptionRecord, org_id)), occurred_at)
    if not stripe_configured:
        status = ReportStatus.UNREPORTED
    elif customer is None or plan_now.plan == FREE or minutes == 0:
        status = ReportStatus.NOT_BILLABLE
    else:
        status = ReportStatus.PENDING
    row = UsageRecord(
        org_id=org_id,
        call_id=call_id,
        minutes=minutes,
        duration_seconds=call.duration,
        user_ref=call.uploader_id,
        occurred_at=occurred_at,
        source_event_id=str(event.id),
        stripe_customer_id=customer.stripe_customer_id if customer else None,
        report_status=status,
    )
    # A concurrent insert of the same call fails the unique key at commit; the consumer
    # then retries and the check above finds the row.
    session.add(row)
    await session.flush()
    if status == ReportStatus.PENDING:
        USAGE_DIRTY.mark(session)
    return row


@dataclass(frozen=True)
class UsageSummary:
    org_id: str
    plan: str
    status: str
    period_start: int
    period_end: int
    minutes_used: int
    minutes_included: int
    minutes_overage: int
    calls: int
    minutes_unreported: int


async def usage_summary(session: AsyncSession, org_id: str, now: datetime) -> UsageSummary:
    """Minutes used in the current period (the subscription's, else the calendar month)."""
    state = to_state(await session.get(SubscriptionRecord, org_id))
    eff = effective(state, int(now.timestamp()))
    start, end = current_period(eff.period_start, eff.period_end, now)
    in_period = (
        UsageRecord.org_id == org_id,
        UsageRecord.occurred_at >= start,  # type: ignore[operator]
        UsageRecord.occurred_at < end,  # type: ignore[operator]
    )
    used, calls = (
        await session.execute(
            select(func.coalesce(func.sum(UsageRecord.minutes), 0), func.count()).where(*in_period)
        )
    ).one()
    unreported = (
        await session.execute(
            select(func.coalesce(func.sum(UsageRecord.minutes), 0)).where(
                *in_period,
                UsageRecord.report_status.in_(  # type: ignore[attr-defined]
                    [ReportStatus.PENDING, ReportStatus.UNREPORTED, ReportStatus.FAILED]
                ),
            )
        )
    ).scalar_one()
    included = eff.limits.included_minutes
    return UsageSummary(
        org_id=org_id,
        plan=eff.plan,
        status=eff.status,
        period_start=start,
        period_end=end,
        minutes_used=int(used),
        minutes_included=included,
        minutes_overage=overage(int(used), included),
        calls=int(calls),
        minutes_unreported=int(unreported),
    )
