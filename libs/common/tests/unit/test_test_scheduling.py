"""``make test``'s xdist queue: files that start whole stacks go first, and the files on
the shared stack go to one worker as one unit."""

from __future__ import annotations

from clashtor_common.testing.scheduling import SHARED_STACK_UNIT, heavy_first, tier, work_unit


def _queue(collection: list[str]) -> dict[str, list[str]]:
    """xdist's queue: work unit -> its tests."""
    units: dict[str, list[str]] = {}
    for nodeid in collection:
        units.setdefault(work_unit(nodeid), []).append(nodeid)
    return units


def test_a_whole_stack_file_with_few_tests_goes_before_short_files_with_many() -> None:
    collection = [
        *(f"services/score/tests/unit/test_metrics.py::test_{n}" for n in range(30)),
        "services/ingest/tests/integration/test_uploads_api.py::test_one",
        "services/ingest/tests/integration/test_uploads_api.py::test_two",
        "tests/e2e/test_call_pipeline.py::test_pipeline",
        "tests/faults/test_nothing_lost_broker.py::test_broker",
        "tests/faults/test_nothing_lost_consumers.py::test_refused",
        "tests/faults/test_nothing_lost_consumers.py::test_kill_9",
    ]

    assert heavy_first(_queue(collection)) == [
        SHARED_STACK_UNIT,  # the end-to-end files, one unit
        "tests/faults/test_nothing_lost_consumers.py",  # then the faults, more tests first
        "tests/faults/test_nothing_lost_broker.py",
        "services/score/tests/unit/test_metrics.py",  # then xdist's own order
        "services/ingest/tests/integration/test_uploads_api.py",
    ]


def test_the_files_on_the_shared_stack_are_one_unit_and_those_with_stacks_of_their_own_are_not() -> (
    None
):
    """One worker runs every file on the session's stack: the run starts it once."""
    collection = [
        "tests/e2e/test_call_pipeline.py::test_pipeline",
        "tests/e2e/browser/test_web_app.py::test_login",
        "tests/security/test_lockout.py::test_locked",
        "tests/e2e/test_crypto_shredding.py::test_nothing_recoverable",
        "tests/e2e/test_crypto_shredding_postgres.py::test_nothing_recoverable",
        "tests/faults/test_s3_outage.py::test_outage",
    ]

    units = _queue(collection)

    assert units[SHARED_STACK_UNIT] == collection[:3]
    assert heavy_first(units) == [
        SHARED_STACK_UNIT,
        "tests/faults/test_s3_outage.py",
        "tests/e2e/test_crypto_shredding.py",  # stacks of their own, after the faults
        "tests/e2e/test_crypto_shredding_postgres.py",
    ]


def test_tiers_follow_the_directory() -> None:
    assert tier(SHARED_STACK_UNIT) == 0
    assert tier("tests/faults/test_s3_outage.py") == 1
    assert tier("tests/e2e/test_crypto_shredding.py") == 2
    assert tier("libs/common/tests/unit/test_crypto.py") == 4
