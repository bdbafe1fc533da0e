"""An upload still arriving after ``INGEST_UPLOAD_MAX_SECONDS`` is refused with 408 and
leaves nothing behind: before the orphan sweep could take its multipart upload for a
crash's leftover and abort it underneath a slow client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ingest.context import IngestContext
from ingest.settings import IngestSettings

from ..audio_samples import tone_bytes
from .support import (
    IngestClient,
    ingest_settings,
    new_org,
    org_objects,
    org_rows,
    outbox_size,
    pending_multipart_uploads,
)

LIMIT_SECONDS = 2.0


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> IngestSettings:
    return ingest_settings(
        kafka_bootstrap,
        database_url,
        s3_settings,
        upload_max_seconds=LIMIT_SECONDS,
        upload_part_mb=5,
    )


async def test_an_upload_slower_than_the_limit_gets_408_and_leaves_nothing(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    events_before = await outbox_size(ctx, org)
    audio = tone_bytes(300.0, freq=1700)  # 9.6 MB, of which the client sends 6 MB
    reader, writer = await client.start_upload(org, audio, send=6 * 1024 * 1024)
    # ... and sends nothing more. Deadlock guard, not a timing assertion: without the
    # limit ingest would wait for the rest of the body for ever.
    response = await asyncio.wait_for(reader.read(), timeout=120)
    writer.close()

    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.split()[1] == b"408", response[:300]
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["error"]["code"] == "upload_timeout"
    assert not [k for k in await pending_multipart_uploads(ctx) if org in k]
    assert await org_objects(ctx, org) == []
    assert await org_rows(ctx, org) == (0, 0)
    assert await outbox_size(ctx, org) == events_before
