"""Plan quotas: which limits apply to an organization now, and whether an upload fits.

The plan comes from billing's ``subscription-changed`` events (a projection kept by
ingest). An organization billing has never told us about is on the free tier. A
subscription that is not active or trialing keeps its limits until ``grace_until``;
after that the organization falls back to the free tier (it can still upload, within
the free minutes). Minutes are counted per billing period when billing sent one that
contains today, else per calendar month (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ingest.domain.errors import CallTooLong, QuotaExceeded

ACTIVE_STATUSES = frozenset({"active", "trialing"})
MB = 1024 * 1024


@dataclass(frozen=True)
class PlanState:
    """The latest subscription billing announced for one organization."""

    plan: str
    status: str
    included_minutes: int
    seats: int
    max_upload_mb: int | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    grace_until: datetime | None = None


@dataclass(frozen=True)
class FreeTier:
    name: str
    included_minutes: int
    seats: int


@dataclass(frozen=True)
class EffectivePlan:
    """The limits that apply right now, and the period minutes are counted in."""

    name: str
    source: str  # "subscription" | "grace" | "free"
    status: str
    included_minutes: int
    max_upload_mb: int | None
    period_start: datetime
    period_end: datetime

    def upload_limit_bytes(self, hard_cap_mb: int) -> int:
        mb = hard_cap_mb if self.max_upload_mb is None else min(hard_cap_mb, self.max_upload_mb)
        return mb * MB

    def upload_limit_mb(self, hard_cap_mb: int) -> int:
        return self.upload_limit_bytes(hard_cap_mb) // MB


def calendar_month(now: datetime) -> tuple[datetime, datetime]:
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def effective_plan(state: PlanState | None, free: FreeTier, now: datetime) -> EffectivePlan:
    """Limits in force at ``now`` for an organization whose last known plan is ``state``."""
    month_start, month_end = calendar_month(now)
    if state is not None:
        in_grace = state.grace_until is not None and now < state.grace_until
        if state.status in ACTIVE_STATUSES or in_grace:
            start, end = month_start, month_end
            period = (state.period_start, state.period_end)
            if period[0] and period[1] and period[0] <= now < period[1]:
                start, end = period[0], period[1]
            return EffectivePlan(
                name=state.plan,
                source="subscription" if state.status in ACTIVE_STATUSES else "grace",
                status=state.status,
                included_minutes=state.included_minutes,
                max_upload_mb=state.max_upload_mb,
                period_start=start,
                period_end=end,
            )
    return EffectivePlan(
        name=free.name,
        source="free",
        status="free" if state is None else state.status,
        included_minutes=free.included_minutes,
        max_upload_mb=None,
        period_start=month_start,
        period_end=month_end,
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def ensure_minutes_left(plan: EffectivePlan, used_seconds: float) -> None:
    """Refuse before reading the upload when the period's minutes are already spent."""
    if used_seconds >= plan.included_minutes * 60:
        raise QuotaExceeded(
            f"the {plan.name} plan includes {plan.included_minutes} minutes per period and "
            f"{_minutes(used_seconds)} are used this period (until "
            f"{plan.period_end.date().isoformat()}); upgrade the plan to upload more"
        )


def remaining_seconds(plan: EffectivePlan, used_seconds: float) -> float:
    return max(plan.included_minutes * 60 - used_seconds, 0.0)


def ensure_call_length(call_seconds: float, max_seconds: float, *, at_least: bool) -> None:
    """Refuse a call longer than the configured maximum (measured from decoded audio)."""
    if call_seconds > max_seconds:
        measured = f"at least {_minutes(call_seconds)}" if at_least else _minutes(call_seconds)
        raise CallTooLong(
            f"this call is {measured} minutes of audio (measured by decoding it); calls of "
            f"up to {_minutes(max_seconds)} minutes are accepted"
        )


def ensure_call_fits(
    plan: EffectivePlan, used_seconds: float, call_seconds: float, *, at_least: bool = False
) -> None:
    """Refuse a call whose minutes would take the period past the plan's included minutes.

    ``at_least``: the length is a lower bound (decoding stopped once it was over the
    minutes left), so the message says so.
    """
    if used_seconds + call_seconds > plan.included_minutes * 60:
        measured = f"at least {_minutes(call_seconds)}" if at_least else _minutes(call_seconds)
        raise QuotaExceeded(
            f"this call is {measured} minutes; the {plan.name} plan includes "
            f"{plan.included_minutes} minutes per period and {_minutes(used_seconds)} are "
            f"used this period (until {plan.period_end.date().isoformat()}); upgrade the plan "
            "or upload a shorter call"
        )
