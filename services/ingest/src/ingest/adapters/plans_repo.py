"""The plan projection: the latest subscription billing announced, per organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import as_utc, utcnow
from clashtor_common.events import SubscriptionChanged
from ingest.adapters.tables import PlanRecord
from ingest.domain.quota import PlanState


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


async def load_plan(session: AsyncSession, org_id: str) -> PlanState | None:
    row = await session.get(PlanRecord, org_id)
    if row is None:
        return None
    return PlanState(
        plan=row.plan,
        status=row.status,
        included_minutes=row.included_minutes,
        seats=row.seats,
        max_upload_mb=row.max_upload_mb,
        period_start=as_utc(row.period_start),
        period_end=as_utc(row.period_end),
        grace_until=as_utc(row.grace_until),
    )


async def apply_subscription(
    session: AsyncSession, org_id: str, change: SubscriptionChanged, event_time: datetime
) -> bool:
    """Store ``change`` unless a newer one is already stored; True if it was applied.

    Order is Stripe's object timestamp, then the event time: redelivered or reordered
    events never roll a plan back.
    """
    row = (
        (
            await session.execute(
                select(PlanRecord).where(PlanRecord.org_id == org_id).with_for_update()
            )
        )
        .scalars()
        .first()
    )
    event_time = as_utc(event_time) or utcnow()
    if row is not None:
        stored = (row.stripe_updated, as_utc(row.event_time))
        if (change.stripe_updated, event_time) < stored:  # type: ignore[operator]
            return False
    else:
        row = PlanRecord(
            org_id=org_id, plan="", status="", included_minutes=0, seats=0, event_time=event_time
        )
    row.plan = change.plan
    row.status = change.status
    row.included_minutes = change.limits.included_minutes
    row.seats = change.limits.seats
    row.max_upload_mb = change.limits.max_upload_mb
    row.period_start = _parse_time(change.period_start)
    row.period_end = _parse_time(change.period_end)
    row.grace_until = _parse_time(change.grace_until)
    row.stripe_updated = change.stripe_updated
    row.event_time = event_time
    row.updated_at = utcnow()
    session.add(row)
    return True
