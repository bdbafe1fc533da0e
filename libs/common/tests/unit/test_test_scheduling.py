"""``make test``'s xdist queue: files that start whole stacks go first."""

from __future__ import annotations

from clashtor_common.testing.scheduling import heavy_first, tier


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


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

    files: dict[str, list[str]] = {}
    for nodeid in collection:  # xdist's queue: test file -> its tests
        files.setdefault(_file(nodeid), []).append(nodeid)

    assert heavy_first(files) == [
        "tests/faults/test_nothing_lost_consumers.py",  # heaviest tier, more tests first
        "tests/faults/test_nothing_lost_broker.py",
        "tests/e2e/test_call_pipeline.py",
        "services/score/tests/unit/test_metrics.py",  # then xdist's own order
        "services/ingest/tests/integration/test_uploads_api.py",
    ]


def test_tiers_follow_the_directory() -> None:
    assert tier("tests/faults/test_s3_outage.py") == 0
    assert tier("tests/e2e/browser/test_web_app.py") == 1
    assert tier("tests/security/test_headers.py") == 2
    assert tier("libs/common/tests/unit/test_crypto.py") == 3
