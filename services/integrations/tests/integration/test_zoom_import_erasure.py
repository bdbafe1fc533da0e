"""The erasure fence of Zoom imports: an import claimed before its host's erasure
uploads nothing once integrations has answered it, and an upload already on its way
makes the erasure wait for its outcome (``service_layer/zoom_fence.py``)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.kafka import TopicReader
from clashtor_common.testing.waiting import wait_until
from integrations.adapters.tables import ZoomConnection, ZoomImport
from integrations.context import IntegrationsContext
from integrations.service_layer.zoom_fence import ImportInFlight, locked_import

from .conftest import Api, IngestStandIn, Publisher, lock_waiters
from .test_zoom_connection import connected_host, erase, imports, notify, settle
from .zoom_stub import Meeting, ZoomStub

pytestmark = pytest.mark.slow


async def announced(
    api: Api, zoom: ZoomStub, ctx: IntegrationsContext
) -> tuple[str, str, Meeting, str]:
    """A recording hosted by a new Clashtor user, announced and due:
    (org, host user id, meeting, import id)."""
    org, zoom_host = await connected_host(api, zoom)
    host = f"user-{uuid.uuid4().hex[:8]}"
    guest = f"guest-{uuid.uuid4().hex[:6]}@buyer.example"
    meeting = zoom.add_meeting(
        zoom_host, b"recorded audio " * 4096, topic="Pricing with Acme", guests=[("G", guest)]
    )
    await settle(ctx)
    body = zoom.recording_completed(meeting)
    resp = await notify(api, body, zoom.signed(body), host=(org, host))
    assert resp.status_code == 204, resp.text
    [item] = await imports(api, org)
    return org, host, meeting, item["id"]


async def test_an_import_claimed_before_its_hosts_erasure_uploads_nothing(
    api: Api,
    zoom_stub: ZoomStub,
    ctx: IntegrationsContext,
    ingest: IngestStandIn,
    publisher: Publisher,
    erasures: TopicReader,
) -> None:
    org, host, meeting, import_id = await announced(api, zoom_stub, ctx)
    arrived, downloads = ingest.arrived, len(zoom_stub.downloads)
    zoom_stub.hold_downloads = threading.Event()
    try:
        worker = asyncio.create_task(ctx.zoom_importer.run_once())
        # claimed, half the file downloaded, the rest held back by Zoom
        await wait_until(lambda: len(zoom_stub.downloads) > downloads)
        request = erasure_requested("user", host)
        await publisher.publish(request, org=org, key=host)
        [done] = await erasures.wait_for(lambda e: e.data["request_id"] == request.request_id)
    finally:
        zoom_stub.hold_downloads.set()
        zoom_stub.hold_downloads = None
    assert done.data["status"] == "completed" and done.data["removed"]["zoom_imports"] == 1
    assert await worker == 1

    assert ingest.arrived == arrived, "nothing reached ingest after the erasure was answered"
    assert await imports(api, org) == []
    async with ctx.db.session() as session:
        item = await session.get(ZoomImport, import_id)
    assert item is not None and item.status == "erased"
    assert item.host_user_id is None and item.topic_enc is None and item.meeting_uuid == ""
    assert item.download_url_enc == b"" and item.download_token_enc is None

    # Zoom announcing the same recording again brings nothing back
    body = zoom_stub.recording_completed(meeting)
    resp = await notify(api, body, zoom_stub.signed(body), host=(org, host))
    assert resp.status_code == 204, resp.text
    await settle(ctx)
    assert ingest.arrived == arrived and await imports(api, org) == []


async def test_an_erasure_waits_for_an_upload_in_flight_then_erases_its_import(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn
) -> None:
    org, host, _meeting, import_id = await announced(api, zoom_stub, ctx)
    arrived = ingest.arrived
    ingest.hold = threading.Event()
    try:
        worker = asyncio.create_task(ctx.zoom_importer.run_once())
        await wait_until(lambda: ingest.arrived > arrived)  # past the fence, at ingest
        with pytest.raises(ImportInFlight):
            await erase(ctx, org, erasure_requested("user", host))
    finally:
        ingest.hold.set()
        ingest.hold = None
    assert await worker == 1
    [item] = await imports(api, org)
    assert item["status"] == "imported" and item["call_id"], item

    done = await erase(ctx, org, erasure_requested("user", host))
    assert done.removed["zoom_imports"] == 1
    assert await imports(api, org) == []
    async with ctx.db.session() as session:
        row = await session.get(ZoomImport, import_id)
    assert row is not None and row.status == "erased" and row.call_id is None


async def left_uploading(ctx: IntegrationsContext, import_id: str) -> None:
    """What a worker killed (-9) after passing the fence leaves: uploading, lease over."""
    async with ctx.db.session() as session:
        item = await session.get(ZoomImport, import_id)
        assert item is not None and item.status == "pending"
        item.status, item.next_attempt_at = "uploading", datetime.now(UTC) - timedelta(seconds=1)
        session.add(item)


async def test_an_upload_whose_worker_died_is_taken_again_or_erased_without_waiting(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn
) -> None:
    org, _host, _meeting, import_id = await announced(api, zoom_stub, ctx)
    await left_uploading(ctx, import_id)
    arrived = ingest.arrived
    assert await ctx.zoom_importer.run_once() == 1  # taken again once the lease ran out
    [item] = await imports(api, org)
    assert item["status"] == "imported" and ingest.arrived == arrived + 1

    org, host, _meeting, import_id = await announced(api, zoom_stub, ctx)
    await left_uploading(ctx, import_id)
    done = await erase(
        ctx, org, erasure_requested("user", host)
    )  # nothing to wait for: its worker is gone
    assert done.removed["zoom_imports"] == 1
    await settle(ctx)
    assert await imports(api, org) == [] and ingest.arrived == arrived + 1


@pytest.mark.parametrize("code", ["uploader_erased", "organization_erased"])
async def test_an_upload_ingest_refuses_as_erased_leaves_a_tombstone(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn, code: str
) -> None:
    """Ingest erased the host (or the organization) before integrations did: the import
    keeps ids only, not a failed row naming the host and the topic to the admins."""
    org, _host, _meeting, import_id = await announced(api, zoom_stub, ctx)
    ingest.refuse = (410, code)
    try:
        assert await ctx.zoom_importer.run_once() == 1
    finally:
        ingest.refuse = None
    assert await imports(api, org) == []
    async with ctx.db.session() as session:
        row = await session.get(ZoomImport, import_id)
    assert row is not None and row.status == "erased", row
    assert row.host_user_id is None and row.topic_enc is None and row.last_error is None


async def test_an_import_whose_outcome_was_lost_does_not_bring_its_erased_call_back(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn
) -> None:
    """Ingest made the call but its answer never arrived (a timeout, a crash): the import
    has no call id, so the call's erasure finds no import. Taken up again, the recording
    is refused by its source (410 source_erased) and the import tombstoned (issue #16)."""
    org, _host, meeting, import_id = await announced(api, zoom_stub, ctx)
    ingest.lose_answers = True
    try:
        assert await ctx.zoom_importer.run_once() == 1
    finally:
        ingest.lose_answers = False
    [file_id] = meeting.files
    source = f"zoom:{file_id}"
    call_id = ingest.calls_by_source[source]
    [item] = await imports(api, org)
    assert item["call_id"] is None and item["status"] != "imported", item

    ingest.erase_call(call_id)  # ingest's erasure of the call, then integrations'
    request = erasure_requested("call", call_id)
    assert (await erase(ctx, org, request)).removed["zoom_imports"] == 0
    async with ctx.db.session() as session:
        await session.execute(
            update(ZoomImport)
            .where(col(ZoomImport.id) == import_id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    arrived = ingest.arrived
    assert await ctx.zoom_importer.run_once() == 1  # the retry

    assert ingest.arrived == arrived + 1
    assert source not in ingest.calls_by_source
    assert await imports(api, org) == []
    async with ctx.db.session() as session:
        row = await session.get(ZoomImport, import_id)
    assert row is not None and row.status == "erased" and row.call_id is None, row


async def test_a_users_erasure_and_a_worker_recording_an_outcome_do_not_deadlock(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    """A worker recording an outcome locks the import, then writes the connection's
    last_import_at; the erasure of the user who both connected Zoom and hosted the
    meeting must take the same rows in the same order (PostgreSQL's row locks)."""
    if ctx.db.is_sqlite:
        pytest.skip("SQLite runs one writing transaction at a time: no row locks to order")
    org, host, _meeting, import_id = await announced(api, zoom_stub, ctx)
    async with ctx.db.session() as session:
        await session.execute(
            update(ZoomConnection)
            .where(col(ZoomConnection.org_id) == org)
            .values(connected_by=host)
        )
    async with ctx.db.session() as worker:  # what ZoomImporter._record does, held open
        assert await locked_import(worker, import_id) is not None
        erasure = asyncio.create_task(erase(ctx, org, erasure_requested("user", host)))
        await wait_until(lambda: lock_waiters(ctx, erasure))
        await worker.execute(
            update(ZoomConnection)
            .where(col(ZoomConnection.org_id) == org)
            .values(last_import_at=datetime.now(UTC))
        )
    done = await erasure
    assert done.removed["zoom_imports"] == 1
    assert done.removed["zoom_connection_creator_pseudonymized"] == 1
