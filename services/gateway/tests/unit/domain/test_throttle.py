"""Sliding-window login limits."""

from __future__ import annotations

from gateway.domain.throttle import Backoff, Limit, Verdict, backoff, check, strictest

LIMIT = Limit(max_failures=3, window_seconds=60)


def test_below_the_limit_is_allowed() -> None:
    assert check([100.0, 110.0], LIMIT, now=120.0) == Verdict(True)


def test_at_the_limit_is_refused_until_the_oldest_counted_failure_ages_out() -> None:
    verdict = check([100.0, 110.0, 115.0], LIMIT, now=120.0)
    assert verdict == Verdict(False, retry_after=40)  # 100 + 60 - 120


def test_failures_older_than_the_window_do_not_count() -> None:
    assert check([10.0, 20.0, 100.0, 110.0], LIMIT, now=120.0).allowed


def test_with_more_failures_than_the_limit_the_right_one_must_age_out() -> None:
    verdict = check([100.0, 105.0, 110.0, 115.0, 118.0], LIMIT, now=120.0)
    # three must remain below the limit: 110, 115, 118 are the newest; 110 must go
    assert verdict == Verdict(False, retry_after=50)


def test_retry_after_is_at_least_one_second() -> None:
    assert check([60.0, 60.0, 60.0], LIMIT, now=119.9).retry_after == 1


def test_the_strictest_verdict_wins() -> None:
    assert strictest(Verdict(True), Verdict(False, 5), Verdict(False, 30)) == Verdict(False, 30)
    assert strictest(Verdict(True), Verdict(True)) == Verdict(True)


BACKOFF = Backoff(free=2, base_seconds=2, max_seconds=30, window_seconds=600)


def test_backoff_lets_the_free_failures_pass() -> None:
    assert backoff([100.0], BACKOFF, now=100.5).allowed


def test_backoff_doubles_the_wait_per_failure_beyond_the_free_ones() -> None:
    assert backoff([100.0, 101.0], BACKOFF, now=101.5) == Verdict(False, retry_after=2)
    assert backoff([100.0, 101.0], BACKOFF, now=103.0).allowed
    assert backoff([100.0, 101.0, 104.0], BACKOFF, now=104.0) == Verdict(False, retry_after=4)
    many = [100.0 + i for i in range(10)]
    assert backoff(many, BACKOFF, now=109.0) == Verdict(False, retry_after=30)  # capped


def test_backoff_forgets_failures_older_than_the_window() -> None:
    assert backoff([0.0, 1.0, 2.0, 700.0], BACKOFF, now=700.5).allowed
