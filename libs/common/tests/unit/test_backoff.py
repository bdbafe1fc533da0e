"""Capped exponential backoff: doubling per failure, never past the cap, never overflowing."""

from __future__ import annotations

from clashtor_common.backoff import capped_exponential


def test_the_wait_doubles_per_failure_up_to_the_cap() -> None:
    waits = [capped_exponential(0.5, n, 10.0) for n in range(8)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_a_counter_that_ran_for_months_stays_at_the_cap() -> None:
    assert capped_exponential(30.0, 5000, 3600.0) == 3600.0
