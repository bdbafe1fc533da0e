"""Data-subject rights as far as ingest holds data: erasure, export, restriction, rectification.

Whose calls a subject means:

- ``call``: that call;
- ``participant``: every call they took part in (their voice is in the recording),
  found by email fingerprint or by participant id;
- ``user``: every call they uploaded;
- ``organization``: every call of the organization.

Erasure deletes the S3 objects first (idempotent, so a retry after a crash only
repeats deletes), then the rows, and leaves tombstones of ids and hashes only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    ErasureCompleted,
    ErasureRequested,
    ExportPartReady,
    ExportRequested,
    KeptRecord,
    Subject,
    Topic,
    make_event,
)
from clashtor_common.outbox import OutboxRecord, emit
from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.privacy_repo import (
    any_restricted,
    record_erased_calls,
    record_erased_fingerprint,
    set_restriction,
)
from ingest.adapters.tables import CallRecord, PlanRecord, RestrictionRecord, utcnow
from ingest.context import IngestContext
from ingest.domain.formats import stored_format
from ingest.service_layer.personal import set_email, set_name
from ingest.service_layer.views import call_view

log = logging.getLogger(__name__)
SERVICE = "ingest"


class UnusableSubject(ValueError):
    """The subject lacks what is needed to find its data (no id, no fingerprint)."""


async def calls_for_subject(repo: CallRepository, subject: Subject) -> list[CallRecord]:
    if subject.type == "call":
        if not subject.id:
            raise UnusableSubject("a call subject needs the call id")
        call = await repo.get(subject.id)
        return [call] if call else []
    if subject.type == "participant":
        if subject.fingerprint:
            return await repo.calls_with_fingerprint(subject.fingerprint)
        if subject.id:
            return await repo.calls_with_participant_id(subject.id)
        raise UnusableSubject(
            "a participant subject needs an email fingerprint or a participant id"
        )
    if subject.type == "user":
        if not subject.id:
            raise UnusableSubject("a user subject needs the user id")
        return await repo.calls_uploaded_by(subject.id)
    if subject.type == "organization":
        return await repo.all_calls()
    raise UnusableSubject(f"unknown subject type {subject.type!r}")


# erasure -------------------------------------------------------------------------------


async def erase_subject(
    ctx: IngestContext, session: AsyncSession, org_id: str, request: ErasureRequested
) -> dict[str, int]:
    """Erase everything ingest holds about the subject and emit ``erasure-completed``."""
    repo = CallRepository(session, org_id)
    subject = request.subject
    try:
        calls = await calls_for_subject(repo, subject)
    except UnusableSubject as exc:
        await _emit_completed(
            session, org_id, request, status="failed", removed={}, details=str(exc)
        )
        return {}
    objects = 0
    for call in calls:
        await ctx.objects.delete(call.s3_key)
        objects += 1
    if subject.type == "organization":
        objects += await ctx.objects.store.delete_prefix(f"orgs/{org_id}/")
    call_ids = [c.id for c in calls]
    await record_erased_calls(session, calls, request.request_id)
    participants = await repo.delete_calls(call_ids)
    await _drop_unsent_uploads(session, call_ids)
    if subject.type == "participant" and subject.fingerprint:
        await record_erased_fingerprint(session, org_id, subject.fingerprint, request.request_id)
        await session.execute(
            delete(RestrictionRecord).where(
                RestrictionRecord.org_id == org_id,
                RestrictionRecord.fingerprint == subject.fingerprint,
            )
        )
    if subject.type == "organization":
        await session.execute(delete(RestrictionRecord).where(RestrictionRecord.org_id == org_id))
        await session.execute(delete(PlanRecord).where(PlanRecord.org_id == org_id))
    removed = {"calls": len(call_ids), "participants": participants, "audio_objects": objects}
    await _emit_completed(session, org_id, request, status="completed", removed=removed)
    return removed


async def _drop_unsent_uploads(session: AsyncSession, call_ids: list[str]) -> None:
    """A ``call-uploaded`` still waiting in the outbox would point at an erased call."""
    if call_ids:
        await session.execute(
            delete(OutboxRecord).where(
                OutboxRecord.topic == Topic.CALL_UPLOADED.value,
                OutboxRecord.key.in_(call_ids),
                OutboxRecord.sent_at.is_(None),
            )
        )


async def _emit_completed(
    session: AsyncSession,
    org_id: str,
    request: ErasureRequested,
    *,
    status: str,
    removed: dict[str, int],
    details: str = "",
) -> None:
    payload = ErasureCompleted(
        request_id=request.request_id,
        service=SERVICE,
        status=status,  # type: ignore[arg-type]
        removed=removed,
        kept=[
            KeptRecord(
                what="ids and durations of erased calls, email fingerprints of erased participants",
                why="so late or replayed events about them change nothing, and used minutes "
                "stay counted",
            )
        ]
        if status == "completed"
        else [],
        details=details,
    )
    await emit(
        session,
        make_event(
            payload, source=SERVICE, org_id=org_id, key=org_id, subject_ids=[request.request_id]
        ),
    )


# export --------------------------------------------------------------------------------


async def export_subject(
    ctx: IngestContext, session: AsyncSession, org_id: str, request: ExportRequested
) -> int:
    """Write the subject's part (calls JSON, audio if asked) encrypted to S3; announce its link.

    The part is a zip (``ingest/calls.json`` and ``ingest/audio/<call id>.<ext>``)
    encrypted as a Clashtor stream object, like the audio itself.
    """
    repo = CallRepository(session, org_id)
    try:
        calls = await calls_for_subject(repo, request.subject)
    except UnusableSubject as exc:
        await _emit_part(session, org_id, request, None, 0, status="failed", details=str(exc))
        return 0
    if not calls:
        await _emit_part(session, org_id, request, None, 0)
        return 0
    people = await repo.participants([c.id for c in calls])
    records = [
        _export_record(call_view(ctx.keyring, c, people[c.id]), request.subject) for c in calls
    ]
    key = f"orgs/{org_id}/exports/{request.request_id}/{SERVICE}.zip.enc"
    with tempfile.TemporaryDirectory(
        prefix="ingest-export-", dir=ctx.settings.upload_temp_dir
    ) as tmp:
        bundle = Path(tmp) / "part.zip"
        with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_STORED) as archive:
            document = {
                "service": SERVICE,
                "request_id": request.request_id,
                "subject": request.subject.model_dump(mode="json"),
                "generated_at": utcnow().isoformat(),
                "calls": records,
            }
            archive.writestr(f"{SERVICE}/calls.json", json.dumps(document, indent=2))
            if request.include_audio:
                for call in calls:
                    name = f"{SERVICE}/audio/{call.id}.{stored_format(call.audio_format).extension}"
                    await _copy_audio(ctx, call, archive, name)
        await ctx.objects.put_file(key, bundle)
    url = await ctx.objects.presign(key)
    await _emit_part(session, org_id, request, url, len(calls))
    return len(calls)


def _export_record(view: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """A participant sees their own entry; other participants only as a role."""
    if subject.type != "participant":
        return view
    own = [
        p
        for p in view["participants"]
        if (subject.fingerprint and p["email_fingerprint"] == subject.fingerprint)
        or (subject.id and p["id"] == subject.id)
    ]
    others = [{"role": p["role"]} for p in view["participants"] if p not in own]
    return {**view, "participants": own + others}


async def _copy_audio(
    ctx: IngestContext, call: CallRecord, archive: zipfile.ZipFile, name: str
) -> None:
    with archive.open(name, "w", force_zip64=True) as target:
        async for piece in ctx.objects.read_all(call.s3_key, call.size_bytes):
            await asyncio.to_thread(target.write, piece)


async def _emit_part(
    session: AsyncSession,
    org_id: str,
    request: ExportRequested,
    url: str | None,
    items: int,
    *,
    status: str = "ready",
    details: str = "",
) -> None:
    payload = ExportPartReady(
        request_id=request.request_id,
        service=SERVICE,
        part_url=url,
        items=items,
        status=status,  # type: ignore[arg-type]
        details=details,
    )
    await emit(
        session,
        make_event(
            payload, source=SERVICE, org_id=org_id, key=org_id, subject_ids=[request.request_id]
        ),
    )


# restriction and rectification ---------------------------------------------------------


async def restrict_subject(
    session: AsyncSession,
    org_id: str,
    subject: Subject,
    *,
    restricted: bool | None,
    objected: bool | None,
) -> int:
    """Store the flags for a participant and mark their calls; returns calls re-marked."""
    if subject.type != "participant" or not subject.fingerprint:
        return 0
    await set_restriction(
        session, org_id, subject.fingerprint, restricted=restricted, objected=objected
    )
    await session.flush()
    repo = CallRepository(session, org_id)
    changed = 0
    for call in await repo.calls_with_fingerprint(subject.fingerprint):
        people = (await repo.participants([call.id]))[call.id]
        flag = await any_restricted(
            session, org_id, [p.email_fingerprint for p in people if p.email_fingerprint]
        )
        if flag != call.processing_restricted:
            call.processing_restricted = flag
            call.updated_at = utcnow()
            session.add(call)
            changed += 1
    return changed


async def rectify_participants(
    ctx: IngestContext,
    session: AsyncSession,
    org_id: str,
    fingerprint: str,
    *,
    name: str | None,
    email: str | None,
    fields: set[str],
) -> int:
    """Correct a participant's name and/or email on every call of the org; returns rows changed."""
    repo = CallRepository(session, org_id)
    rows = await repo.participants_with_fingerprint(fingerprint)
    for row in rows:
        if "name" in fields:
            set_name(ctx.keyring, row, name)
        if "email" in fields:
            set_email(ctx.keyring, ctx.fingerprint_secret, row, email)
        session.add(row)
    return len(rows)
