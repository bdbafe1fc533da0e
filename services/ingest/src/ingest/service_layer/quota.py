"""The plan in force for an organization and the minutes it has used this period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.plans_repo import load_plan
from ingest.adapters.quota_lock import lock_org_quota
from ingest.domain.quota import EffectivePlan, FreeTier, effective_plan, ensure_call_fits
from ingest.settings import IngestSettings


@dataclass(frozen=True)
class QuotaStatus:
    plan: EffectivePlan
    used_seconds: float
    upload_limit_bytes: int
    upload_limit_mb: int

    def as_dict(self) -> dict[str, Any]:
        included = self.plan.included_minutes
        return {
            "plan": self.plan.name,
            "source": self.plan.source,
            "status": self.plan.status,
            "included_minutes": included,
            "used_minutes": round(self.used_seconds / 60, 2),
            "remaining_minutes": round(max(included * 60 - self.used_seconds, 0) / 60, 2),
            "period_start": self.plan.period_start.isoformat(),
            "period_end": self.plan.period_end.isoformat(),
            "max_upload_mb": self.upload_limit_mb,
        }


def free_tier(settings: IngestSettings) -> FreeTier:
    return FreeTier(
        name=settings.free_plan_name,
        included_minutes=settings.free_plan_minutes,
        seats=settings.free_plan_seats,
    )


async def quota_status(
    session: AsyncSession, settings: IngestSettings, org_id: str, now: datetime | None = None
) -> QuotaStatus:
    plan = effective_plan(
        await load_plan(session, org_id), free_tier(settings), now or datetime.now(UTC)
    )
    used = await CallRepository(session, org_id).seconds_used(plan.period_start, plan.period_end)
    return QuotaStatus(
        plan=plan,
        used_seconds=used,
        upload_limit_bytes=plan.upload_limit_bytes(settings.max_upload_mb),
        upload_limit_mb=plan.upload_limit_mb(settings.max_upload_mb),
    )


async def reserve_minutes(
    session: AsyncSession, org_id: str, plan: EffectivePlan, call_seconds: float
) -> None:
    """Atomically check that ``call_seconds`` still fit the plan, inside the caller's
    transaction that then inserts the call (the call row is the reservation).

    The quota lock serializes one organization's reservations, and the minutes are
    counted again after taking it, so concurrent uploads can never together exceed the
    plan; 402 when this one no longer fits.
    """
    await lock_org_quota(session, org_id)
    used = await CallRepository(session, org_id).seconds_used(plan.period_start, plan.period_end)
    ensure_call_fits(plan, used, call_seconds)
