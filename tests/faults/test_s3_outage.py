"""S3 down during uploads and processing, on the real stack.

Six service processes on a real broker, SeaweedFS and PostgreSQL (the end-to-end
``Stack``, whose broker keeps its log in memory: ``make up``'s broker keeps it on the
same SeaweedFS, so there an S3 outage is a broker outage too, which
``test_nothing_lost`` covers). Calls are accepted, then SeaweedFS is stopped while
they are transcribed and scored, and started again on the same ports and data once a
consumer has met the outage and is waiting it out (a fixed outage was flaky under load:
transcribe could spend all of it inside one call's recognition and never touch S3).

- Uploads during the outage are answered 503 with ``Retry-After`` (through the
  gateway), and leave no call behind.
- Every call accepted before the outage finishes on its own once S3 is back, exactly
  once: one ``call-scored`` event, one score row, one usage row; nothing dead-lettered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clashtor_callgen import generate_call, short_script
from clashtor_common.testing.waiting import poll_until

from ..e2e.stack import Stack
from .checks import all_scored_exactly_once
from .conftest import Uploader

OUTAGE_LIMIT = 300
"""Seconds S3 stays down at most, waiting for a consumer to meet the outage."""
CONSUMERS = ("transcribe", "score")


def waited_out(stack: Stack, logged_before: dict[str, int]) -> bool:
    """A consumer logged a transient failure since the outage began."""
    return any("transient failure" in stack.log(n)[logged_before[n] :] for n in CONSUMERS)


@pytest.fixture(scope="module")
def stack(workdir: Path) -> Iterator[Stack]:
    """The test stack (its own S3 process, to stop and start), not ``make up``'s; ``calls``
    from the conftest uploads through it."""
    running = Stack(workdir / "stack").start()
    yield running
    running.stop()


def test_calls_accepted_before_an_s3_outage_finish_once_and_uploads_meanwhile_get_503(
    stack: Stack, calls: Uploader
) -> None:
    assert stack.s3 is not None
    api = calls.client
    accepted = calls.upload(3)
    listed_before = api.http.get("/v1/calls", headers=api.bearer).json()["items"]

    logged_before = {name: len(stack.log(name)) for name in CONSUMERS}
    stack.s3.stop()  # mid-flight: transcribe is reading audio or writing a transcript
    refused = generate_call(short_script(), layout="mono", pause=0.8)
    with refused.path.open("rb") as fh:
        during = api.http.post(
            "/v1/calls",
            headers=api.bearer,
            files={"file": (refused.path.name, fh)},
            data={"title": "during the outage"},
        )
    assert during.status_code == 503, during.text
    assert int(during.headers["retry-after"]) > 0
    assert during.json()["error"]["code"] == "service_unavailable"
    listed_during = api.http.get("/v1/calls", headers=api.bearer).json()["items"]
    assert [c["id"] for c in listed_during] == [c["id"] for c in listed_before]

    # The outage hits calls in flight: a consumer waits it out (the bus logs each wait).
    poll_until(lambda: waited_out(stack, logged_before), OUTAGE_LIMIT, what="a consumer held")
    stack.s3.start()  # same data directory, same ports

    all_scored_exactly_once(stack, calls.status, accepted, timeout=900)  # type: ignore[arg-type]
    assert calls.upload(1), "uploads work again"
