"""Data-subject rights as far as transcribe holds data: erasure, export, restriction.

Whose transcripts a subject means:

- ``call``: that call;
- ``participant``: every call they took part in (their voice is in it), found by email
  fingerprint or participant id;
- ``user``: every call they uploaded;
- ``organization``: every call of the organization.

Erasure deletes the S3 objects first (idempotent, so a retry after a crash only
repeats deletes), then the rows, and leaves tombstones of ids only: the erased call
ids, and the erased subject with the time of the request, so a replayed or late
``call-uploaded`` about them transcribes nothing again.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.crypto import DataKeys
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import as_utc, utcnow
from clashtor_common.events import (
    Envelope,
    ErasureCompleted,
    ErasureRequested,
    ExportPartReady,
    ExportRequested,
    KeptRecord,
    Subject,
    SubjectRestricted,
    Topic,
)
from clashtor_common.outbox import drop_unsent, emit_answer
from clashtor_common.subjects import SubjectLookups, UnusableSubject, records_for_subject
from transcribe.adapters.objects import export_key, transcript_aad
from transcribe.adapters.repository import TranscriptRepository
from transcribe.adapters.tables import TranscriptParticipant, TranscriptRecord
from transcribe.context import SERVICE, TranscribeContext
from transcribe.domain.outcomes import CallStatus

log = logging.getLogger(__name__)
CALL_EVENTS = (Topic.CALL_PROGRESSED.value, Topic.CALL_TRANSCRIBED.value, Topic.CALL_FAILED.value)
"""This service's events about a call, dropped unsent when the call is erased."""


async def calls_for_subject(repo: TranscriptRepository, subject: Subject) -> list[TranscriptRecord]:
    lookups = SubjectLookups(
        call=repo.get,
        participant=lambda fp, pid: repo.calls_with_participant(fingerprint=fp, participant_id=pid),
        uploader=repo.calls_uploaded_by,
        organization=repo.all_calls,
    )
    return await records_for_subject(subject, repo.org_id, lookups)


# erasure -------------------------------------------------------------------------------


async def erase_subject(
    ctx: TranscribeContext, session: AsyncSession, event: Envelope, request: ErasureRequested
) -> dict[str, int]:
    """Erase every transcript of the subject, leave tombstones, emit ``erasure-completed``."""
    org_id = event.org_id
    repo = TranscriptRepository(session, org_id)
    subject = request.subject
    try:
        calls = await calls_for_subject(repo, subject)
    except UnusableSubject as exc:
        await emit_answer(session, _completed(request, {}, str(exc)), source=SERVICE, org_id=org_id)
        return {}
    call_ids = [c.call_id for c in calls]
    # the keys first: from this transaction's commit on, every copy of these transcripts
    # (S3 volumes, pages, WAL, backups, the object score read) is noise
    keys = await ctx.keys.destroy(session, [call_key_id(c) for c in call_ids])
    objects = await ctx.objects.delete_many([call.s3_key for call in calls if call.s3_key])
    if subject.type == "organization":
        objects += await ctx.objects.delete_prefix(f"transcripts/{org_id}/")
        objects += await ctx.objects.delete_prefix(f"exports/{org_id}/")
    transcripts = sum(1 for c in calls if c.status == CallStatus.TRANSCRIBED)
    await repo.delete_calls(call_ids)
    await _drop_unsent(session, call_ids)
    tombstoned = list(call_ids)
    # A call not seen yet (its upload may still be on its way) is tombstoned anyway,
    # unless the id is another organization's call.
    if (
        subject.type == "call"
        and subject.id
        and not calls
        and await repo.owner_of(subject.id) is None
    ):
        tombstoned.append(subject.id)
    await repo.record_erased_calls(tombstoned, request.request_id)
    await _remember_subject(repo, subject, org_id, request.request_id, event)
    removed = {
        "transcripts": transcripts,
        "calls": len(call_ids),
        "objects": objects,
        "data_keys": keys,
    }
    await emit_answer(session, _completed(request, removed), source=SERVICE, org_id=org_id)
    log.info("erasure %s (%s): removed %s", request.request_id, subject.type, removed)
    return removed


async def _remember_subject(
    repo: TranscriptRepository, subject: Subject, org_id: str, request_id: str, event: Envelope
) -> None:
    """Tombstone the subject itself, for uploads made before the erasure that arrive later."""
    when = as_utc(event.time)
    if subject.type == "participant":
        for key in filter(None, (subject.fingerprint, subject.id)):
            await repo.record_erased_subject("participant", key, request_id, when)
        if subject.fingerprint:
            await repo.forget_restrictions(subject.fingerprint)
    elif subject.type == "user" and subject.id:
        await repo.record_erased_subject("user", subject.id, request_id, when)
    elif subject.type == "organization":
        await repo.record_erased_subject("organization", org_id, request_id, when)
        await repo.forget_restrictions()


async def _drop_unsent(session: AsyncSession, call_ids: list[str]) -> None:
    """A ``call-transcribed`` still waiting in the outbox would point at an erased call."""
    await drop_unsent(session, topics=CALL_EVENTS, keys=call_ids)


def _completed(
    request: ErasureRequested, removed: dict[str, int], failure: str | None = None
) -> ErasureCompleted:
    if failure is not None:
        return ErasureCompleted(
            request_id=request.request_id, service=SERVICE, status="failed", details=failure
        )
    return ErasureCompleted(
        request_id=request.request_id,
        service=SERVICE,
        status="completed",
        removed=removed,
        kept=[
            KeptRecord(
                what="ids of erased calls; the erased subject's id or email fingerprint "
                "with the time of the request",
                why="so a replayed or late call-uploaded about them is not transcribed again",
            )
        ],
    )


# export --------------------------------------------------------------------------------


async def export_subject(
    ctx: TranscribeContext, session: AsyncSession, event: Envelope, request: ExportRequested
) -> int:
    """Write the subject's transcripts as one encrypted part; announce its link."""
    org_id = event.org_id
    repo = TranscriptRepository(session, org_id)
    try:
        calls = await calls_for_subject(repo, request.subject)
    except UnusableSubject as exc:
        part = ExportPartReady(
            request_id=request.request_id, service=SERVICE, status="failed", details=str(exc)
        )
        await emit_answer(session, part, source=SERVICE, org_id=org_id)
        return 0
    if not calls:
        part = ExportPartReady(request_id=request.request_id, service=SERVICE, items=0)
        await emit_answer(session, part, source=SERVICE, org_id=org_id)
        return 0
    people = await repo.participants(c.call_id for c in calls)
    keys = await ctx.keys.load(session, [call_key_id(c.call_id) for c in calls])
    items = [_export_item(ctx, call, people[call.call_id], request.subject, keys) for call in calls]
    document = {
        "service": SERVICE,
        "request_id": request.request_id,
        "subject": request.subject.model_dump(mode="json"),
        "generated_at": utcnow().isoformat(),
        "items": items,
    }
    key = export_key(org_id, request.request_id)
    await ctx.objects.put(key, ctx.keyring.encrypt(json.dumps(document).encode()))
    part = ExportPartReady(
        request_id=request.request_id,
        service=SERVICE,
        part=ctx.objects.ref(key),
        items=len(items),
    )
    await emit_answer(session, part, source=SERVICE, org_id=org_id)
    return len(items)


def _export_item(
    ctx: TranscribeContext,
    call: TranscriptRecord,
    people: list[TranscriptParticipant],
    subject: Subject,
    keys: DataKeys,
) -> dict[str, Any]:
    """One call: what is recorded about it here and, if transcribed, its transcript.

    A participant is shown by id and role; for a participant subject, the subject is
    marked so they can find themselves (fingerprints are keyed hashes, never exported).
    """
    item: dict[str, Any] = {
        "call_id": call.call_id,
        "uploader_id": call.uploader_id,
        "status": call.status,
        "uploaded_at": as_utc(call.uploaded_at).isoformat(),
        "participants": [
            {
                "participant_id": p.participant_id,
                "role": p.role,
                **({"is_subject": True} if _is_subject(p, subject) else {}),
            }
            for p in people
        ],
    }
    if call.status == CallStatus.FAILED:
        item["failure_code"] = call.failure_code
    if call.status == CallStatus.TRANSCRIBED and call.transcript_enc:
        plain = ctx.keyring.decrypt(
            call.transcript_enc, aad=transcript_aad(call.call_id), keys=keys
        )
        item["transcribed_at"] = as_utc(call.updated_at).isoformat()
        item["transcript"] = json.loads(plain)
    return item


def _is_subject(person: TranscriptParticipant, subject: Subject) -> bool:
    if subject.type != "participant":
        return False
    return bool(
        (subject.fingerprint and person.fingerprint == subject.fingerprint)
        or (subject.id and person.participant_id == subject.id)
    )


# restriction ---------------------------------------------------------------------------


async def restrict_subject(
    session: AsyncSession, event: Envelope, flags: SubjectRestricted
) -> bool:
    """Store or lift a participant's restriction; calls already transcribed stay stored."""
    subject = flags.subject
    if flags.restricted is None or subject.type != "participant" or not subject.fingerprint:
        return False
    repo = TranscriptRepository(session, event.org_id)
    await repo.set_restricted(subject.fingerprint, flags.restricted, flags.request_id)
    return True


# --------------------------------------------------------------------------------------
