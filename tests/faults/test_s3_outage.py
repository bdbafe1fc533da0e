"""S3 down for ~30 s during uploads and processing, on the real stack.

Six service processes on a real broker, SeaweedFS and PostgreSQL (the end-to-end
``Stack``, whose broker keeps its log in memory: ``make up``'s broker keeps it on the
same SeaweedFS, so there an S3 outage is a broker outage too, which
``test_nothing_lost_broker`` covers). Calls are accepted, then SeaweedFS is stopped while
they are transcribed and scored, and started again on the same ports and data 30 s
later.

- Uploads during the outage are answered 503 with ``Retry-After`` (through the
  gateway), and leave no call behind.
- Every call accepted before the outage finishes on its own once S3 is back, exactly
  once: one ``call-scored`` event, one score row, one usage row; nothing dead-lettered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clashtor_callgen import generate_call, short_script

from ..e2e.stack import Stack
from .checks import assert_scored_exactly_once, wait_scored
from .conftest import Uploader

OUTAGE_SECONDS = 30


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

    stack.s3.stop()  # mid-flight: transcribe is reading audio or writing a transcript
    down_since = time.monotonic()
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

    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
    stack.s3.start()  # same data directory, same ports

    wait_scored(calls.status, accepted, timeout=900)
    # The outage hit calls in flight: a consumer waited it out (the bus logs each wait).
    assert "transient failure" in stack.log("transcribe") + stack.log("score")
    assert_scored_exactly_once(stack, accepted)  # type: ignore[arg-type]
    assert calls.upload(1), "uploads work again"
