"""The plan catalog and the usage rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from billing.domain.plans import PLANS, get_plan, lookup_keys, overage_price_params, plan_for_price
from billing.domain.pseudonyms import is_pseudonym, pseudonym, pseudonymous_email
from billing.domain.usage import InvalidDuration, billable_minutes, calendar_month, current_period


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 0), (0.4, 1), (59.9, 1), (60, 1), (60.01, 2), (3600, 60)]
)
def test_minutes_are_rounded_up_per_call(seconds: float, minutes: int) -> None:
    assert billable_minutes(seconds) == minutes


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_an_impossible_duration_is_refused(bad: float) -> None:
    with pytest.raises(InvalidDuration):
        billable_minutes(bad)


def test_every_plan_has_distinct_lookup_keys_and_paid_plans_have_overage() -> None:
    keys = lookup_keys()
    assert len(keys) == len(set(keys))
    assert "clashtor_team_seat_monthly" in keys
    for plan in PLANS.values():
        assert (plan.overage_lookup_key is not None) == plan.purchasable
        assert plan_for_price({"lookup_key": plan.seat_lookup_key}) == (plan, True)


def test_the_overage_price_bills_only_beyond_the_included_pool() -> None:
    team = get_plan("team")
    params = overage_price_params(team, "clashtor_team", "mtr_1")
    assert params["tiers"][0] == {"up_to": team.included_minutes, "unit_amount": 0}
    assert params["tiers"][1]["up_to"] == "inf"
    assert params["recurring"] == {"interval": "month", "usage_type": "metered", "meter": "mtr_1"}


def test_usage_counts_in_the_subscription_period_else_the_calendar_month() -> None:
    now = datetime(2026, 12, 15, tzinfo=UTC)
    ts = int(now.timestamp())
    assert current_period(ts - 10, ts + 10, now) == (ts - 10, ts + 10)
    start, end = calendar_month(now)
    assert current_period(ts - 100, ts - 10, now) == (start, end)
    assert datetime.fromtimestamp(end, UTC) == datetime(2027, 1, 1, tzinfo=UTC)


def test_pseudonyms_are_stable_keyed_and_recognizable() -> None:
    a = pseudonym("secret", "user", "u1")
    assert a == pseudonym("secret", "user", "u1") != pseudonym("other", "user", "u1")
    assert "u1" not in a and is_pseudonym(a)
    assert pseudonymous_email("secret", "customer", "cus_1").endswith("@erased.invalid")
