"""Issue 12, item 7: concurrent uploads can never together exceed the plan.

Twelve 10-minute uploads at once on the 60-minute free tier, against ingest on the real
broker and S3, once on SQLite and once on PostgreSQL (skipped only when no PostgreSQL
server answers on 127.0.0.1:5432). Before the fix all twelve were accepted: each upload
read "0 minutes used" before any of them had committed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from clashtor_callgen import encode
from clashtor_common.testing.apps import identity_headers, serve, settings_for_tests
from clashtor_common.testing.plugin import create_database, postgres_available
from ingest.main import create_app
from ingest.settings import IngestSettings

UPLOADS = 12
CALL_SECONDS = 600
FREE_MINUTES = 60
RATE = 8000


@pytest.fixture(scope="module")
def ten_minute_calls(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Twelve distinct 10-minute FLAC files: a second of quiet tone, a different pitch
    each, then silence (a tenth of a tone's bytes, made in a fraction of its time)."""
    tmp = tmp_path_factory.mktemp("quota-race-calls")
    t = np.arange(RATE, dtype=np.float32) / RATE
    calls = []
    for n in range(UPLOADS):
        samples = np.zeros((1, CALL_SECONDS * RATE), dtype=np.float32)
        samples[0, :RATE] = 0.01 * np.sin(2 * np.pi * (200 + 10 * n) * t)
        calls.append(encode(samples, RATE, tmp / f"call-{n}.flac", "flac").read_bytes())
    return calls


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
        return
    if not postgres_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    url, cleanup = create_database(tmp_path, "quota_race")
    yield url
    cleanup()


@pytest.fixture
async def ingest(
    database: str, kafka_bootstrap: str, s3_settings: dict[str, Any]
) -> AsyncIterator[tuple[str, IngestSettings]]:
    settings = settings_for_tests(
        IngestSettings,
        "ingest-race",
        kafka_bootstrap=kafka_bootstrap,
        database_url=database,
        s3_settings=s3_settings,
        free_plan_minutes=FREE_MINUTES,
    )
    async with serve(create_app(settings)) as base_url:
        yield base_url, settings


async def test_twelve_concurrent_ten_minute_uploads_never_exceed_the_free_tier(
    ingest: tuple[str, IngestSettings], ten_minute_calls: list[bytes]
) -> None:
    base_url, settings = ingest
    org = f"org-race-{uuid.uuid4().hex[:8]}"
    calls = ten_minute_calls
    secret = settings.identity_secret.get_secret_value()
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as http:

        async def upload(n: int) -> httpx.Response:
            return await http.post(
                "/internal/calls",
                files={"file": (f"call-{n}.flac", calls[n], "audio/flac")},
                headers=identity_headers(secret, org, f"rep-{n}", "admin"),
            )

        responses = await asyncio.gather(*(upload(n) for n in range(UPLOADS)))
        quota = (await http.get("/internal/quota", headers=identity_headers(secret, org))).json()

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {202, 402}, [r.text for r in responses]
    accepted = [r.json() for r in responses if r.status_code == 202]
    accepted_minutes = sum(c["duration"] for c in accepted) / 60
    print(f"\naccepted {len(accepted)} of {UPLOADS}: {accepted_minutes:.1f} minutes")
    assert accepted_minutes <= FREE_MINUTES
    assert len(accepted) == FREE_MINUTES * 60 // CALL_SECONDS, "the plan is used, not wasted"
    assert quota["used_minutes"] == pytest.approx(accepted_minutes, abs=0.01)
    for refused in (r for r in responses if r.status_code == 402):
        assert refused.json()["error"]["code"] == "quota_exceeded"
