"""Retry schedule: exponential backoff, capped, given up after the window (three days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.domain.retries import RetryPolicy
from integrations.settings import IntegrationsSettings

START = datetime(2026, 1, 1, tzinfo=UTC)


def default_policy() -> RetryPolicy:
    s = IntegrationsSettings()
    return RetryPolicy(
        initial=s.webhook_retry_initial_seconds,
        max_interval=s.webhook_retry_max_interval_seconds,
        window=timedelta(hours=s.webhook_retry_window_hours),
    )


def test_each_wait_doubles_until_the_cap() -> None:
    policy = RetryPolicy(initial=5, max_interval=60, window=timedelta(days=3))
    assert [policy.delay(n, jitter=0) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_jitter_adds_at_most_a_tenth() -> None:
    policy = RetryPolicy(initial=100, max_interval=1000, window=timedelta(days=3))
    assert policy.delay(1, jitter=1.0) == pytest.approx(110)
    assert 100 <= policy.delay(1) <= 110


def test_default_schedule_keeps_trying_for_three_days_then_gives_up() -> None:
    policy = default_policy()
    now, failures, times = START, 0, []
    while True:
        failures += 1
        nxt = policy.next_attempt(START, now, failures, jitter=0)
        if nxt is None:
            break
        times.append(nxt)
        now = nxt
    assert times[-1] <= START + timedelta(days=3)
    assert times[-1] > START + timedelta(days=2, hours=12)  # the window is used, not cut short
    assert times[0] - START == timedelta(seconds=5)
    assert 15 <= len(times) <= 30
