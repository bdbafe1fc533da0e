"""Organizations take turns in the transcription queue (``domain.fairness``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from transcribe.domain.fairness import next_org

T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def _run_queue(jobs: list[tuple[str, datetime]], *, fair: bool) -> list[str]:
    """Serve ``jobs`` (org, queued at) one at a time; the organizations in the order served."""
    waiting = sorted(jobs, key=lambda j: j[1])
    served: dict[str, datetime] = {}
    order: list[str] = []
    clock = max(at for _, at in jobs)
    while waiting:
        oldest: dict[str, datetime] = {}
        for org, at in waiting:
            oldest.setdefault(org, at)
        org = next_org(oldest, served, fair=fair)
        assert org is not None
        waiting.remove((org, oldest[org]))
        clock += timedelta(seconds=1)
        served[org] = clock
        order.append(org)
    return order


def _burst_then_one() -> list[tuple[str, datetime]]:
    burst = [("org-a", T0 + timedelta(milliseconds=n)) for n in range(20)]
    return [*burst, ("org-b", T0 + timedelta(seconds=1))]


def test_a_single_call_after_another_organizations_burst_of_20_runs_first_or_second() -> None:
    order = _run_queue(_burst_then_one(), fair=True)
    assert order.index("org-b") <= 1
    assert order.count("org-a") == 20


def test_first_come_first_served_makes_the_single_call_wait_for_the_whole_burst() -> None:
    order = _run_queue(_burst_then_one(), fair=False)
    assert order.index("org-b") == 20


def test_an_organization_served_before_waits_behind_one_that_was_not() -> None:
    oldest = {"org-a": T0, "org-b": T0 + timedelta(minutes=5)}
    assert next_org(oldest, {"org-a": T0 + timedelta(seconds=1)}) == "org-b"
    assert next_org(oldest, {}) == "org-a"  # neither served: the longest waiting


def test_three_organizations_alternate_while_each_has_work() -> None:
    jobs = [
        (org, T0 + timedelta(milliseconds=n))
        for n, org in enumerate(["a"] * 3 + ["b"] * 3 + ["c"] * 3)
    ]
    assert _run_queue(jobs, fair=True) == ["a", "b", "c"] * 3


def test_nothing_waiting_means_no_turn() -> None:
    assert next_org({}, {}) is None
