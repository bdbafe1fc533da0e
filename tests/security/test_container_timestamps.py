"""Hole 3: a call's length and the quota cannot be bypassed by the container's timestamps.

Opus in Matroska with every packet timestamp 0 plays normally, but before the fix a
600 s file was recorded as 0.02 s: the free tier's 60 minutes never ran out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clashtor_callgen import zero_timestamp_opus_mkv

from ..conftest import FREE_PLAN_MINUTES
from ..e2e.client import Clashtor


def upload(api: Clashtor, path: Path) -> tuple[int, dict]:
    with path.open("rb") as fh:
        resp = api.http.post("/v1/calls", headers=api.bearer, files={"file": (path.name, fh)})
    return resp.status_code, resp.json()


def test_zero_timestamps_neither_shorten_a_call_nor_escape_the_quota(
    api: Clashtor, tmp_path: Path
) -> None:
    status, first = upload(api, zero_timestamp_opus_mkv(tmp_path / "c0.mkv", 600, freq=200))
    assert status == 202, first
    assert first["duration"] == pytest.approx(600, abs=0.5), "measured, not read from timestamps"
    assert api.call(first["id"]).json()["duration"] == pytest.approx(600, abs=0.5)

    for n in range(1, FREE_PLAN_MINUTES // 10):  # with more: exactly the free minutes
        status, body = upload(
            api, zero_timestamp_opus_mkv(tmp_path / f"c{n}.mkv", 600, freq=200 + 10 * n)
        )
        assert status == 202, body

    status, refused = upload(api, zero_timestamp_opus_mkv(tmp_path / "over.mkv", 160, freq=999))
    assert status == 402, refused
    assert refused["error"]["code"] == "quota_exceeded"
    assert f"{FREE_PLAN_MINUTES} minutes" in refused["error"]["message"]
