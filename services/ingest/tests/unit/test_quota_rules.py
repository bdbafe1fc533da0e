"""Which plan applies, over which period, and when an upload is over quota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clashtor_common.errors import domain_status
from ingest.domain.errors import QuotaExceeded
from ingest.domain.quota import (
    FreeTier,
    PlanState,
    calendar_month,
    effective_plan,
    ensure_call_fits,
    ensure_minutes_left,
)

FREE = FreeTier(name="free", included_minutes=60, seats=3)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def plan(**overrides: object) -> PlanState:
    values: dict[str, object] = {
        "plan": "team",
        "status": "active",
        "included_minutes": 1000,
        "seats": 10,
        "max_upload_mb": None,
    }
    values.update(overrides)
    return PlanState(**values)  # type: ignore[arg-type]


def test_an_org_billing_never_mentioned_is_on_the_free_tier_for_the_calendar_month() -> None:
    limits = effective_plan(None, FREE, NOW)
    assert (limits.name, limits.source, limits.included_minutes) == ("free", "free", 60)
    assert limits.period_start == datetime(2026, 3, 1, tzinfo=UTC)
    assert limits.period_end == datetime(2026, 4, 1, tzinfo=UTC)


def test_december_rolls_over_into_january() -> None:
    assert calendar_month(datetime(2026, 12, 31, tzinfo=UTC))[1] == datetime(2027, 1, 1, tzinfo=UTC)


def test_an_active_plan_counts_in_its_billing_period() -> None:
    start, end = NOW - timedelta(days=3), NOW + timedelta(days=27)
    limits = effective_plan(plan(period_start=start, period_end=end), FREE, NOW)
    assert (limits.name, limits.included_minutes) == ("team", 1000)
    assert (limits.period_start, limits.period_end) == (start, end)


def test_a_stale_billing_period_falls_back_to_the_calendar_month() -> None:
    start, end = NOW - timedelta(days=60), NOW - timedelta(days=30)
    limits = effective_plan(plan(period_start=start, period_end=end), FREE, NOW)
    assert limits.period_start == datetime(2026, 3, 1, tzinfo=UTC)


def test_a_past_due_plan_keeps_its_limits_until_the_grace_period_ends() -> None:
    in_grace = effective_plan(
        plan(status="past_due", grace_until=NOW + timedelta(days=1)), FREE, NOW
    )
    assert (in_grace.name, in_grace.source) == ("team", "grace")
    expired = effective_plan(
        plan(status="past_due", grace_until=NOW - timedelta(days=1)), FREE, NOW
    )
    assert (expired.name, expired.included_minutes, expired.status) == ("free", 60, "past_due")


def test_a_canceled_plan_falls_back_to_the_free_tier() -> None:
    assert effective_plan(plan(status="canceled"), FREE, NOW).source == "free"


def test_the_upload_limit_is_the_smaller_of_the_plan_and_the_service_cap() -> None:
    assert effective_plan(plan(max_upload_mb=50), FREE, NOW).upload_limit_mb(500) == 50
    assert effective_plan(plan(max_upload_mb=5000), FREE, NOW).upload_limit_mb(500) == 500
    assert effective_plan(None, FREE, NOW).upload_limit_bytes(500) == 500 * 1024 * 1024


def test_spent_minutes_refuse_the_upload_before_it_is_read() -> None:
    limits = effective_plan(plan(included_minutes=10), FREE, NOW)
    ensure_minutes_left(limits, 9 * 60)
    with pytest.raises(QuotaExceeded) as refused:
        ensure_minutes_left(limits, 10 * 60)
    assert domain_status(refused.value) == 402
    assert "10 minutes" in refused.value.message and "10.0 are used" in refused.value.message


def test_a_call_that_would_go_past_the_included_minutes_is_refused() -> None:
    limits = effective_plan(plan(included_minutes=10), FREE, NOW)
    ensure_call_fits(limits, 5 * 60, 5 * 60)  # exactly fits
    with pytest.raises(QuotaExceeded) as refused:
        ensure_call_fits(limits, 5 * 60, 5 * 60 + 1)
    assert "this call is 5.0 minutes" in refused.value.message
