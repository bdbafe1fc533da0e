"""The scheduler and the answer handlers on a real (SQLite) database, without a broker.

What privacy emits is read back from its outbox: the relay is not running, so every
row is exactly what the relay would publish.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.certificates import CertificateSigner
from clashtor_common.crypto import Keyring, fingerprint
from clashtor_common.db import Database
from clashtor_common.events import (
    ErasureCompleted,
    ExportPartReady,
    ParticipantRef,
    make_event,
    parse_envelope,
)
from clashtor_common.identity import Identity
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from clashtor_common.s3 import S3Store
from clashtor_common.testing.events import call_uploaded
from privacy import handlers
from privacy.adapters.objects import EncryptedObjects
from privacy.adapters.tables import TABLES, PrivacyRequest
from privacy.context import PrivacyContext
from privacy.domain.clock import ManualClock
from privacy.domain.requests import Kind
from privacy.domain.subjects import SubjectRef
from privacy.service_layer import commands
from privacy.service_layer.erasure import start_erasure
from privacy.service_layer.export import start_export
from privacy.service_layer.records import Asker
from privacy.service_layer.scheduler import Scheduler
from privacy.settings import PrivacySettings

ORG = "org-1"


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[PrivacyContext]:
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
    yield PrivacyContext(
        settings=settings,
        db=db,
        clock=ManualClock(datetime(2030, 1, 1, tzinfo=UTC)),
        keyring=keyring,
        objects=EncryptedObjects(S3Store(settings), keyring),
        signer=CertificateSigner.from_config(settings.certificate_signing_key.get_secret_value()),
    )
    await db.dispose()


def clock(deps: PrivacyContext) -> ManualClock:
    assert isinstance(deps.clock, ManualClock)
    return deps.clock


async def erasure(deps: PrivacyContext, start: Any = start_erasure, **options: Any) -> str:
    """An admin's request about user u-1 (an erasure, or what ``start`` starts): its id."""
    async with deps.db.session() as session:
        asker = Asker(ORG, SubjectRef(type="user", id="u-1"), "admin-1", "admin")
        req = await start(session, deps, asker, **options)
    return str(req.id)


async def answer(
    deps: PrivacyContext, request_id: str, svc: str, status: str = "completed"
) -> None:
    payload = ErasureCompleted(request_id=request_id, service=svc, status=status)  # type: ignore[arg-type]
    event = make_event(payload, source=svc, org_id=ORG)
    async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
        await handlers.on_erasure_completed(event, session, context=deps)
        await session.commit()


async def request(deps: PrivacyContext, request_id: str) -> PrivacyRequest:
    async with deps.db.session() as session:
        row = await session.get(PrivacyRequest, request_id)
    assert row is not None
    return row


async def erasure_events(deps: PrivacyContext, request_id: str) -> list[dict]:
    async with deps.db.session() as session:
        rows = (
            await session.execute(select(OutboxRecord).order_by(col(OutboxRecord.id)))
        ).scalars()
        events = [parse_envelope(r.payload) for r in rows]
    return [e.data for e in events if e.data.get("request_id") == request_id]


async def test_a_silent_service_is_asked_again_once_per_timeout(deps: PrivacyContext) -> None:
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


async def test_a_failed_answer_is_asked_again(deps: PrivacyContext) -> None:
    rid = await erasure(deps)
    await answer(deps, rid, "ingest")
    await answer(deps, rid, "billing", status="failed")
    assert (await request(deps, rid)).status == "in_progress"
    clock(deps).advance(timedelta(seconds=61))
    assert (await Scheduler(deps).tick()).resent == 1
    await answer(deps, rid, "billing")
    assert (await request(deps, rid)).status == "completed"


async def test_after_the_last_attempt_the_erasure_fails_and_a_late_answer_still_completes_it(
    deps: PrivacyContext,
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


async def test_an_answer_for_another_organization_changes_nothing(deps: PrivacyContext) -> None:
    rid = await erasure(deps)
    payload = ErasureCompleted(request_id=rid, service="ingest")
    event = make_event(payload, source="ingest", org_id="org-intruder")
    async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
        await handlers.on_erasure_completed(event, session, context=deps)
        await session.commit()
    assert (await request(deps, rid)).status == "pending"


async def test_a_failed_export_part_fails_the_export_naming_the_service(
    deps: PrivacyContext,
) -> None:
    rid = await erasure(deps, start_export, include_audio=False)
    for svc, status in (("ingest", "ready"), ("billing", "failed")):
        payload = ExportPartReady(request_id=rid, service=svc, status=status)  # type: ignore[arg-type]
        async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
            await handlers.on_export_part_ready(
                make_event(payload, source=svc, org_id=ORG), session, context=deps
            )
            await session.commit()
    failed = await request(deps, rid)
    assert failed.status == "failed" and failed.failure == "export part failed at: billing"


async def test_a_deleted_account_is_purged_once_after_the_grace_period(
    deps: PrivacyContext,
) -> None:
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


# retention ---------------------------------------------------------------------------------

OFFICER = Identity(org_id=ORG, user_id="officer-1", role="compliance")
HELD_EMAIL = "held.customer@example.com"


async def uploaded(deps: PrivacyContext, call_id: str, *, email: str | None = None) -> None:
    """Deliver ``call-uploaded`` as the bus would, at the clock's current time."""
    secret = deps.fingerprint_secret
    payload = call_uploaded(
        call_id,
        participants=[
            ParticipantRef(
                participant_id=f"p-{call_id}",
                role="customer",
                fingerprint=fingerprint(secret, email) if email else None,
            )
        ],
    )
    event = make_event(payload, source="ingest", org_id=ORG).model_copy(
        update={"time": deps.clock.now()}
    )
    async with AsyncSession(deps.db.engine, expire_on_commit=False) as session:
        await handlers.on_call_uploaded(event, session)
        await session.commit()


async def call_erasures(deps: PrivacyContext) -> dict[str, str]:
    """Call id → request id of every erasure privacy has started."""
    async with deps.db.session() as session:
        rows = (
            await session.execute(select(PrivacyRequest).where(PrivacyRequest.kind == "erasure"))
        ).scalars()
        return {r.subject_id: r.id for r in rows if r.subject_type == "call" and r.subject_id}


async def restrict(deps: PrivacyContext, email: str, restricted: bool) -> None:
    raw = commands.SubjectInput(type="participant", email=email)
    await commands.set_flag(deps, OFFICER, Kind.RESTRICTION, raw, restricted)


async def test_a_call_past_retention_is_erased_with_every_acknowledgement_and_audited(
    deps: PrivacyContext,
) -> None:
    await commands.set_retention(deps, OFFICER, 30)
    await uploaded(deps, "old")
    clock(deps).advance(timedelta(days=20))
    await uploaded(deps, "young")
    scheduler = Scheduler(deps)
    assert (await scheduler.tick()).retention_erasures == 0  # 20 days: not yet

    clock(deps).advance(timedelta(days=10, seconds=1))  # "old" is 30 days + 1 s old
    report = await scheduler.tick()
    assert (report.retention_erasures, report.retention_held) == (1, 0)
    erasures = await call_erasures(deps)
    assert set(erasures) == {"old"}
    rid = erasures["old"]
    [sent] = await erasure_events(deps, rid)
    assert sent["subject"] == {"type": "call", "id": "old", "fingerprint": None}
    assert sent["requested_by"] == "system:retention" and sent["services"] is None

    for svc in deps.settings.erasure_services:
        await answer(deps, rid, svc)
    view = await commands.get_request(deps, OFFICER, rid)
    assert view.request.status == "completed" and view.certificate is not None
    assert {a.service: a.status for a in view.acks} == {
        "ingest": "completed",
        "billing": "completed",
        "privacy": "completed",
    }
    audit = await commands.audit_log(deps, OFFICER, limit=50, before_id=None)
    [entry] = [a for a in audit if a.action == "retention.erasure_started"]
    assert (entry.actor_id, entry.request_id, entry.subject_id) == ("system:retention", rid, "old")
    assert entry.details["call_retention_days"] == 30

    # Another replica: nothing is erased twice.
    assert (await Scheduler(deps).tick()).retention_erasures == 0
    # "young" (uploaded on day 20) at its first daily run past day 50, not before.
    clock(deps).advance(timedelta(days=20) - timedelta(seconds=3))  # day 50 - 2 s
    assert (await scheduler.tick()).retention_erasures == 0  # ran: "young" not yet due
    clock(deps).advance(timedelta(seconds=4))  # "young" is due, the daily run is not
    assert (await scheduler.tick()).retention_erasures == 0
    clock(deps).advance(timedelta(days=1))
    assert (await scheduler.tick()).retention_erasures == 1
    assert set(await call_erasures(deps)) == {"old", "young"}

    # A replay of the old upload does not bring the erased call back into the schedule.
    await uploaded(deps, "old")
    clock(deps).advance(timedelta(days=1))
    assert (await scheduler.tick()).retention_erasures == 0


async def test_a_restricted_call_past_retention_is_held_until_the_restriction_is_lifted(
    deps: PrivacyContext,
) -> None:
    await commands.set_retention(deps, OFFICER, 7)
    await uploaded(deps, "disputed", email=HELD_EMAIL)
    await uploaded(deps, "ordinary", email="someone.else@example.com")
    await restrict(deps, HELD_EMAIL.upper(), True)  # the same person, however spelled
    clock(deps).advance(timedelta(days=8))
    scheduler = Scheduler(deps)
    report = await scheduler.tick()
    assert (report.retention_erasures, report.retention_held) == (1, 1)
    assert set(await call_erasures(deps)) == {"ordinary"}

    clock(deps).advance(timedelta(days=1))
    assert (await scheduler.tick()).retention_held == 1  # still held the next day

    await restrict(deps, HELD_EMAIL, False)
    clock(deps).advance(timedelta(days=1))
    report = await scheduler.tick()
    assert (report.retention_erasures, report.retention_held) == (1, 0)
    assert set(await call_erasures(deps)) == {"ordinary", "disputed"}


async def test_without_a_retention_period_no_call_is_erased(deps: PrivacyContext) -> None:
    await uploaded(deps, "kept")
    clock(deps).advance(timedelta(days=3650))
    assert (await Scheduler(deps).tick()).retention_erasures == 0
    await commands.set_retention(deps, OFFICER, None)
    clock(deps).advance(timedelta(days=1))
    assert (await Scheduler(deps).tick()).retention_erasures == 0
    assert await call_erasures(deps) == {}
