"""The orphan sweep on the real S3 and database: audio no call row holds goes, after a grace.

The crash is real: a child process runs an upload and is killed (SIGKILL) at the
moment it sends the call row's INSERT, i.e. after the audio reached S3 and before the
commit. What it leaves behind is exactly what a crashed ingest leaves.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.context import IngestContext
from ingest.service_layer.reconcile import AUDIO_KEY, sweep_orphans
from ingest.service_layer.uploads import audio_key
from ingest.settings import IngestSettings

from ..audio_samples import tone_bytes
from .support import IngestClient, new_org, org_objects, org_rows

GRACE = timedelta(hours=1)
LATER = timedelta(hours=2)

CRASHING_UPLOAD = """
import asyncio, os, signal, sys
from pathlib import Path

import httpx
from sqlalchemy import event

from clashtor_common.identity import Identity
from ingest.bootstrap import bootstrap
from ingest.context import context_of
from ingest.service_layer.quota import quota_status
from ingest.service_layer.uploads import accept_upload


async def main(path: Path, org: str, at: str) -> None:
    ctx = context_of(bootstrap())

    @event.listens_for(ctx.db.engine.sync_engine, "before_cursor_execute")
    def crash(conn, cursor, statement, *args):
        if at == "insert" and statement.lstrip().upper().startswith("INSERT INTO INGEST_CALLS"):
            os.kill(os.getpid(), signal.SIGKILL)  # the audio is in S3; the row never commits

    send_part = ctx.objects.store.upload_part

    async def crash_at_second_part(s3, key, upload_id, number, body):
        if at == "part" and number == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # part 1 is in S3, the body still arriving
        return await send_part(s3, key, upload_id, number, body)

    ctx.objects.store.upload_part = crash_at_second_part
    form = httpx.Request("POST", "http://x/", files={"file": ("a.wav", path.read_bytes())})
    body = form.read()

    async def arriving():
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    async with ctx.db.session() as session:
        quota = await quota_status(session, ctx.settings, org)
    identity = Identity(org_id=org, user_id="u1", role="admin")
    await accept_upload(ctx, identity, quota, form.headers["content-type"], arriving())


asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
"""


def _env(settings: IngestSettings) -> dict[str, str]:
    return {
        **os.environ,
        "INGEST_ENVIRONMENT": "test",
        "INGEST_DATABASE_URL": settings.database_url,
        "INGEST_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "INGEST_S3_ENDPOINT": settings.s3_endpoint,
        "INGEST_S3_ACCESS_KEY": settings.s3_access_key,
        "INGEST_S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
        "INGEST_S3_BUCKET": settings.s3_bucket,
        "INGEST_MASTER_KEYS": settings.master_keys.get_secret_value(),
    }


async def _crash_mid_upload(
    settings: IngestSettings, tmp_path: Path, org: str, at: str = "insert", seconds: float = 1.5
) -> int:
    path = tmp_path / f"{org}.wav"
    path.write_bytes(tone_bytes(seconds, freq=1700))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_UPLOAD,
        str(path),
        org,
        at,
        env={**_env(settings), "INGEST_UPLOAD_PART_MB": "5"},
    )
    return await child.wait()


def test_the_sweep_recognizes_every_audio_key_the_upload_writes() -> None:
    assert AUDIO_KEY.match(audio_key("org-1", "c-1"))
    for fmt in ("wav", "mp3", "ogg", "flac", "m4a", "aac", "webm", "mka", "aiff"):
        assert AUDIO_KEY.match(f"orgs/org-1/calls/c-1/audio.{fmt}.enc"), "keys of older uploads"
    assert not AUDIO_KEY.match("orgs/org-1/exports/r1/ingest.json.enc")


async def test_a_crash_between_the_s3_write_and_the_commit_leaves_an_orphan_the_sweep_removes(
    client: IngestClient, ctx: IngestContext, settings: IngestSettings, tmp_path: Path
) -> None:
    org = new_org()
    kept = (await client.upload(org, tone_bytes(1.0, freq=1800))).json()
    export_part = f"orgs/{org}/exports/r1/ingest.json.enc"
    await ctx.objects.store.put_bytes(export_part, b"sealed part")

    assert await _crash_mid_upload(settings, tmp_path, org) == -9
    objects = await org_objects(ctx, org)
    assert len(objects) == 3, objects  # the kept call's audio, the export part, the orphan
    assert await org_rows(ctx, org) == (1, 0), "the crashed upload has no row"
    [orphan] = [k for k in objects if AUDIO_KEY.match(k) and kept["id"] not in k]

    young = await sweep_orphans(ctx, grace=GRACE)
    assert orphan not in young.deleted, "within the grace period it may be an upload in flight"
    assert orphan in await org_objects(ctx, org)

    swept = await sweep_orphans(ctx, grace=GRACE, now=datetime.now(UTC) + LATER)
    assert orphan in swept.deleted
    left = await org_objects(ctx, org)
    assert orphan not in left
    assert export_part in left, "objects that are not call audio are never swept"
    assert [k for k in left if kept["id"] in k], "audio a call row holds is never swept"
    assert (await client.get_call(org, kept["id"])).status_code == 200
    audio = await client.http.get(
        f"/internal/calls/{kept['id']}/audio", headers=client.headers(org)
    )
    assert audio.status_code == 200


async def test_the_sweep_aborts_multipart_uploads_that_died_midway(ctx: IngestContext) -> None:
    store = ctx.objects.store
    await store.ensure_bucket()
    key = audio_key(new_org(), "c-dead")
    async with store.client() as s3:
        await s3.create_multipart_upload(Bucket=store.bucket, Key=key)
    assert key in [u.key for u in await store.pending_uploads("orgs/")]

    await sweep_orphans(ctx, grace=GRACE)
    assert key in [u.key for u in await store.pending_uploads("orgs/")], "young: left alone"

    report = await sweep_orphans(ctx, grace=GRACE, now=datetime.now(UTC) + LATER)
    assert report.aborted_uploads >= 1
    assert key not in [u.key for u in await store.pending_uploads("orgs/")]


async def test_a_crash_between_two_parts_leaves_no_row_and_an_upload_the_sweep_aborts(
    client: IngestClient, ctx: IngestContext, settings: IngestSettings, tmp_path: Path
) -> None:
    """Killed (SIGKILL) while the audio streams to S3: part 1 is there, part 2 never
    came. No call row points at a missing object; the pending upload goes with the sweep."""
    org = new_org()
    kept = (await client.upload(org, tone_bytes(1.0, freq=1900))).json()
    assert await _crash_mid_upload(settings, tmp_path, org, at="part", seconds=400) == -9
    assert await org_rows(ctx, org) == (1, 0), "the crashed upload has no row"
    assert [k for k in await org_objects(ctx, org) if kept["id"] not in k] == []
    [dead] = await ctx.objects.store.pending_uploads(f"orgs/{org}/")
    assert AUDIO_KEY.match(dead.key) and kept["id"] not in dead.key

    await sweep_orphans(ctx, grace=GRACE, now=datetime.now(UTC) + LATER)
    assert await ctx.objects.store.pending_uploads(f"orgs/{org}/") == []
    assert (await client.get_call(org, kept["id"])).status_code == 200
