"""S3 unreachable during an upload: 503 with Retry-After, and nothing half-written.

The app runs against an S3 endpoint where nothing listens (the real broker and
database otherwise): what a client sees while the object store is down.
"""

from __future__ import annotations

from typing import Any

import pytest

from clashtor_common.embedded import free_port
from ingest.context import IngestContext
from ingest.settings import IngestSettings

from ..audio_samples import tone_bytes
from .support import IngestClient, ingest_settings, new_org, org_rows


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> IngestSettings:
    down = {**s3_settings, "s3_endpoint": f"http://127.0.0.1:{free_port()}"}
    return ingest_settings(kafka_bootstrap, database_url, down)


async def test_an_upload_while_s3_is_down_is_503_with_retry_after_and_stores_nothing(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    resp = await client.upload(org, tone_bytes(1.0, freq=900))

    assert resp.status_code == 503, resp.text
    assert int(resp.headers["retry-after"]) > 0
    assert resp.json()["error"]["code"] == "service_unavailable"
    assert await org_rows(ctx, org) == (0, 0), "no call row without its audio"
    listed = await client.http.get("/internal/calls", headers=client.headers(org))
    assert listed.status_code == 200 and listed.json()["items"] == []
