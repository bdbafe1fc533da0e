"""The scheduler and the answer handlers on a real (SQLite) database, without a broker.

What privacy emits is read back from its outbox: the relay is not running, so every
row is exactly what the relay would publish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.certificates import CertificateSigner
from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.events import ErasureCompleted, ExportPartReady, make_event, parse_envelope
from clashtor_common.identity import Identity
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from clashtor_common.s3 import S3Store
from privacy import commands, handlers, service
from privacy.adapters.objects import EncryptedObjects
from privacy.adapters.tables import TABLES, PrivacyRequest
from privacy.deps import Deps
from privacy.domain.clock import ManualClock
from privacy.domain.subjects import SubjectRef
from privacy.scheduler import Scheduler
from privacy.settings import PrivacySettings

ORG = "org-1"


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Deps]:
    settings = PrivacySettings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'privacy.db'}",
        master_keys=f"k:{Keyring.generate_key()}",
        erasure_services=["ingest", "billing"],
        export_services=["ingest", "billing"],
        erasure_resend_after_seconds=60,
        erasure_max_attempts=3,
        export_timeout_seconds=300,
        s3_endpoint="http://127.0.0.1:9",  # never reached by these tests
    )
    db = Database(settings.database_url)
    await db.create_all(OutboxRecord, InboxRecord, *TABLES)
    keyring = Keyring.from_config(settings.master_keys.get_secret_value())
    yield Deps(
        settings=settings,
        db=db,
        clock=ManualClock(datetime(2030, 1, 1, tzinfo=UTC)),
        keyring=keyring,
        objects=EncryptedObjects(S3Store(settings), keyring),
        signer=CertificateSigner.from_config(settings.certificate_signing_key.get_secret_value()),
    )
    await db.dispose()


def clock(deps: Deps) -> ManualClock:
    assert isinstance(deps.clock, ManualClock)
    return deps.clock


async def erasure(deps: Deps) -> str:
    async with deps.db.session() as session:
        req = await service.start_erasure(
            session,
            deps,
            org_id=ORG,
            subject=SubjectRef(type="user", id="u-1"),
            requested_by="admin-1",
            role="admin",
        )
    return req.id


async def answer(deps: Deps, request_id: str, svc: str, status: str = "completed") -> None:
    payload = ErasureCompleted(request_id=request_id, service=svc, status=status)  # type: ignore[arg-type]
    event = make_event(payload, source=svc, org_id=ORG)
    async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
        await handlers.on_erasure_completed(event, session, deps=deps)
        await session.commit()


async def request(deps: Deps, request_id: str) -> PrivacyRequest:
    async with deps.db.session() as session:
        row = await session.get(PrivacyRequest, request_id)
    assert row is not None
    return row


async def erasure_events(deps: Deps, request_id: str) -> list[dict]:
    async with deps.db.session() as session:
        rows = (
            await session.execute(select(OutboxRecord).order_by(col(OutboxRecord.id)))
        ).scalars()
        events = [parse_envelope(r.payload) for r in rows]
    return [e.data for e in events if e.data.get("request_id") == request_id]


async def test_a_silent_service_is_asked_again_once_per_timeout(deps: Deps) -> None:
    rid = await erasure(deps)
    await answer(deps, rid, "ingest")
    scheduler = Scheduler(deps)
    clock(deps).advance(timedelta(seconds=59))
    assert (await scheduler.tick()).resent == 0
    clock(deps).advance(timedelta(seconds=1))
    assert (await scheduler.tick()).resent == 1
    assert (await Scheduler(deps).tick()).resent == 0  # another replica sees nothing due
    sent = await erasure_events(deps, rid)
    assert [(e["services"], e["attempt"]) for e in sent] == [(None, 1), (["billing"], 2)]


async def test_a_failed_answer_is_asked_again(deps: Deps) -> None:
    rid = await erasure(deps)
    await answer(deps, rid, "ingest")
    await answer(deps, rid, "billing", status="failed")
    assert (await request(deps, rid)).status == "in_progress"
    clock(deps).advance(timedelta(seconds=61))
    assert (await Scheduler(deps).tick()).resent == 1
    await answer(deps, rid, "billing")
    assert (await request(deps, rid)).status == "completed"


async def test_after_the_last_attempt_the_erasure_fails_and_a_late_answer_still_completes_it(
    deps: Deps,
) -> None:
    rid = await erasure(deps)
    await answer(deps, rid, "ingest")
    scheduler = Scheduler(deps)
    for _ in range(2):  # attempts 2 and 3
        clock(deps).advance(timedelta(seconds=61))
        assert (await scheduler.tick()).resent == 1
    clock(deps).advance(timedelta(seconds=61))
    report = await scheduler.tick()
    assert (report.resent, report.erasures_failed) == (0, 1)
    failed = await request(deps, rid)
    assert failed.status == "failed"
    assert failed.failure == "no successful answer after 3 attempts from: billing"
    clock(deps).advance(timedelta(seconds=61))
    assert (await scheduler.tick()).resent == 0  # no re-sends once failed

    await answer(deps, rid, "billing")
    done = await request(deps, rid)
    assert done.status == "completed" and done.failure is None


async def test_an_answer_for_another_organization_changes_nothing(deps: Deps) -> None:
    rid = await erasure(deps)
    payload = ErasureCompleted(request_id=rid, service="ingest")
    event = make_event(payload, source="ingest", org_id="org-intruder")
    async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
        await handlers.on_erasure_completed(event, session, deps=deps)
        await session.commit()
    assert (await request(deps, rid)).status == "pending"


async def test_a_failed_export_part_fails_the_export_naming_the_service(deps: Deps) -> None:
    async with deps.db.session() as session:
        req = await service.start_export(
            session,
            deps,
            org_id=ORG,
            subject=SubjectRef(type="user", id="u-1"),
            requested_by="admin-1",
            role="admin",
            include_audio=False,
        )
    for svc, status in (("ingest", "ready"), ("billing", "failed")):
        payload = ExportPartReady(request_id=req.id, service=svc, status=status)  # type: ignore[arg-type]
        async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
            await handlers.on_export_part_ready(
                make_event(payload, source=svc, org_id=ORG), session, deps=deps
            )
            await session.commit()
    failed = await request(deps, req.id)
    assert failed.status == "failed" and failed.failure == "export part failed at: billing"


async def test_a_deleted_account_is_purged_once_after_the_grace_period(deps: Deps) -> None:
    owner = Identity(org_id=ORG, user_id="owner-1", role="owner")
    await commands.delete_account(deps, owner)
    clock(deps).advance(timedelta(days=deps.settings.account_grace_days) - timedelta(seconds=1))
    assert (await Scheduler(deps).tick()).purges_started == 0
    clock(deps).advance(timedelta(seconds=1))
    first, second = Scheduler(deps), Scheduler(deps)
    assert (await first.tick()).purges_started == 1
    assert (await second.tick()).purges_started == 0
    state, deletion = await commands.account_status(deps, owner)
    assert state == "purging" and deletion is not None and deletion.purge_request_id
    purge = await request(deps, deletion.purge_request_id)
    assert (purge.kind, purge.subject_type, purge.subject_id) == ("erasure", "organization", ORG)
    for svc in deps.settings.erasure_services:
        await answer(deps, purge.id, svc)
    assert (await commands.account_status(deps, owner))[0] == "purged"
