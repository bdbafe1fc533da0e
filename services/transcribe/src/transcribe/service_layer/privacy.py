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
``call-uploaded`` about them transcribes nothing again. Calls of the subject still
queued for transcription leave the queue in the same transaction.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common import rights
from clashtor_common.crypto import DataKeys
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import as_utc
from clashtor_common.events import (
    CallUploaded,
    Envelope,
    Subject,
    SubjectRestricted,
    Topic,
)
from clashtor_common.exportparts import write_part
from clashtor_common.outbox import drop_unsent
from clashtor_common.subjects import calls_for_subject
from transcribe.adapters.objects import export_key, transcript_aad, transcript_key
from transcribe.adapters.repository import TranscriptRepository
from transcribe.adapters.tables import TranscriptParticipant, TranscriptRecord
from transcribe.context import SERVICE, TranscribeContext
from transcribe.domain.outcomes import CallStatus

log = logging.getLogger(__name__)
CALL_EVENTS = (Topic.CALL_PROGRESSED.value, Topic.CALL_TRANSCRIBED.value, Topic.CALL_FAILED.value)
"""This service's events about a call, dropped unsent when the call is erased."""
KEPT = rights.KeptRecord(
    what="ids of erased calls; the erased subject's id or email fingerprint "
    "with the time of the request",
    why="so a replayed or late call-uploaded about them is not transcribed again",
)


# erasure -------------------------------------------------------------------------------


async def erase_subject(
    ctx: TranscribeContext, session: AsyncSession, event: Envelope, request: rights.ErasureRequested
) -> rights.ErasureCompleted:
    """Erase every transcript of the subject and leave tombstones; raises
    ``UnusableSubject`` for a subject transcribe cannot look up."""
    org_id = event.org_id
    repo = TranscriptRepository(session, org_id)
    subject = request.subject
    calls = await calls_for_subject(subject, repo)
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
    # a call-transcribed still waiting in the outbox would point at an erased call
    await drop_unsent(session, topics=CALL_EVENTS, keys=call_ids)
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
    queued = await _forget_queued(ctx, repo, session, subject, request.request_id)
    # a queued call may be running: what its worker wrote so far goes too (its worker,
    # finding its lease lost, discards what it writes after this)
    keys += await ctx.keys.destroy(session, [call_key_id(c) for c in queued])
    await ctx.objects.delete_many([transcript_key(org_id, c) for c in queued])
    removed = {
        "transcripts": transcripts,
        "calls": len(call_ids),
        "objects": objects,
        "data_keys": keys,
    }
    log.info("erasure %s: %d queued calls left the queue", request.request_id, len(queued))
    return rights.erased(request, SERVICE, removed, KEPT)


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


async def _forget_queued(
    ctx: TranscribeContext,
    repo: TranscriptRepository,
    session: AsyncSession,
    subject: Subject,
    request_id: str,
) -> list[str]:
    """Calls of the subject still waiting for transcription are settled now, as the worker
    would settle them: tombstoned, their queued event (ids, fingerprints) gone. Only the
    subject's queued calls are read (by index), and each is checked as the worker would
    (an upload made after the erasure request stays). A call being transcribed meanwhile
    loses its worker's lease; the worker discards what it writes after this (see
    ``service_layer.workers``). Returns the calls taken out."""
    await session.flush()  # the tombstones just recorded answer is_erased below
    erased: list[str] = []
    for queued in await ctx.queue.queued_about(session, repo.org_id, subject):
        upload = queued.payload_as(CallUploaded)
        if await repo.is_erased(
            upload.call_id,
            uploader_id=upload.uploader_id,
            participants=upload.participants,
            uploaded_at=queued.time,
        ):
            erased.append(upload.call_id)
    await ctx.queue.forget(session, repo.org_id, erased)
    await repo.record_erased_calls(erased, request_id)
    return erased


# export --------------------------------------------------------------------------------


async def export_subject(
    ctx: TranscribeContext, session: AsyncSession, event: Envelope, request: rights.ExportRequested
) -> rights.ExportPartReady:
    """The subject's transcripts as one encrypted part; raises ``UnusableSubject`` for a
    subject transcribe cannot look up."""
    org_id = event.org_id
    repo = TranscriptRepository(session, org_id)
    calls = await calls_for_subject(request.subject, repo)
    people = await repo.participants(c.call_id for c in calls)
    keys = await ctx.keys.load(session, [call_key_id(c.call_id) for c in calls])
    items = [_export_item(ctx, call, people[call.call_id], request.subject, keys) for call in calls]
    return await write_part(
        service=SERVICE,
        request=request,
        items=items,
        s3=ctx.objects.store,
        keyring=ctx.keyring,
        key=export_key(org_id, request.request_id),
    )


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
