"""The ``call-uploaded`` use case: recording in, encrypted transcript and one event out.

The consumer only admits (``admit_upload``): a call to transcribe joins the durable
queue in the transaction of the event's inbox record, so one organization's burst does
not hold the partition, and the queue's workers (``service_layer.workers``) take calls
in fair order across organizations and run ``handle_upload`` for each. Order of work
there, and why:

1. decide from the database in a short transaction of its own: skip an erased or
   already transcribed call, record a restricted one (nothing is processed);
2. the slow part, with no database transaction open: download the encrypted
   recording the event names (bucket and key), decrypt it to a private temp file
   (with the data key the event carries), transcribe it, encrypt the transcript under
   this service's key for the call (``call:<id>`` in ``transcribe_data_keys``, committed
   first) and put it in S3 (an idempotent put: the key is the call's);
3. in the handler's transaction (with the inbox record): decide again (an erasure
   or a twin upload may have landed meanwhile), store the row and emit
   ``call-transcribed`` (or ``call-failed``) through the outbox. A call erased
   meanwhile has its key destroyed and its object deleted in a transaction of their
   own, as the handler's is fenced by the worker's lease and rolls back when the
   erasure took the job.

The recording is read by its object reference with this service's own S3 client
(see ``adapters.recording``); S3 being unreachable is a transient fault the bus
retries until it passes, never a failure of the call.

Failures that are the answer, not a fault, are committed as such: undecodable audio,
a provider that kept failing through its retries, a recording that is gone. A
recording that does not decrypt means a key is missing here: that goes to the
dead-letter topic (``PermanentError``) so an operator can fix the keyring and redrive.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.bus import PermanentError
from clashtor_common.crypto import DataKey, DecryptionError, KeyDestroyed
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import utcnow
from clashtor_common.events import (
    CallFailed,
    CallTranscribed,
    CallUploaded,
    Envelope,
    ObjectRef,
    make_event,
)
from clashtor_common.events.transcript import Transcript
from clashtor_common.outbox import emit
from clashtor_common.progress import ProgressReporter
from clashtor_common.s3 import ObjectNotFound
from transcribe.adapters.objects import transcript_aad, transcript_key
from transcribe.adapters.recording import downloaded_recording
from transcribe.adapters.repository import TranscriptRepository
from transcribe.adapters.tables import TranscriptRecord
from transcribe.context import SERVICE, TranscribeContext
from transcribe.domain.errors import CallErased, TranscriptionProviderError, UndecodableAudio
from transcribe.domain.language import requested_language
from transcribe.domain.outcomes import CallStatus, FailureCode, UploadDecision, decide_upload
from transcribe.domain.ports import ProgressSink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transcribed:
    transcript: Transcript
    ciphertext: bytes
    key: str
    data_key: DataKey


@dataclass(frozen=True)
class Failed:
    code: FailureCode
    reason: str


Outcome = Transcribed | Failed


async def admit_upload(
    ctx: TranscribeContext, session: AsyncSession, event: Envelope, upload: CallUploaded
) -> UploadDecision:
    """Admit one ``call-uploaded`` in the consumer's transaction: a call to transcribe
    joins the queue (the workers run ``handle_upload``); one to skip or restrict is
    settled here and now."""
    decision = await _decide(TranscriptRepository(session, event.org_id), event, upload)
    if decision is UploadDecision.TRANSCRIBE:
        await ctx.queue.admit(session, event, upload.call_id)
    else:
        await _settle_without_work(session, event, upload, decision)
    return decision


async def handle_upload(
    ctx: TranscribeContext, session: AsyncSession, event: Envelope, upload: CallUploaded
) -> UploadDecision:
    """Apply one ``call-uploaded``; returns what was decided (for logs and tests)."""
    async with ctx.db.session() as peek:  # short; the handler's session stays untouched
        decision = await _decide(TranscriptRepository(peek, event.org_id), event, upload)
    if decision is not UploadDecision.TRANSCRIBE:  # settled while it waited in the queue
        await _settle_without_work(session, event, upload, decision)
        return decision

    progress = ProgressReporter(
        ctx.db,
        source=SERVICE,
        org_id=event.org_id,
        call_id=upload.call_id,
        uploader_id=upload.uploader_id,
        stage="transcribe",
    )
    await progress.report(0.0)
    outcome = await produce_transcript(ctx, event.org_id, upload, progress=progress)

    repo = TranscriptRepository(session, event.org_id)
    decision = await _decide(repo, event, upload)
    if decision is not UploadDecision.TRANSCRIBE:  # something changed while we worked
        if decision is UploadDecision.SKIP_ERASED:  # erased while we worked
            # committed on its own: the job's transaction is fenced and may roll back
            await discard_output(ctx, event.org_id, upload.call_id)
        elif isinstance(outcome, Transcribed) and decision is not UploadDecision.SKIP_DONE:
            await ctx.objects.delete(outcome.key)
        await _settle_without_work(session, event, upload, decision)
        return decision
    if isinstance(outcome, Failed):
        await _record(
            session, event, upload, status=CallStatus.FAILED, failure=(outcome.code, outcome.reason)
        )
        await _emit(session, event, upload, _failed(upload, outcome))
        log.info("call %s failed to transcribe: %s", upload.call_id, outcome.code)
        return decision
    await _record(session, event, upload, status=CallStatus.TRANSCRIBED, result=outcome)
    await _emit(
        session,
        event,
        upload,
        _transcribed(
            upload,
            outcome.transcript,
            ctx.objects.ref(outcome.key),
            outcome.data_key.id,
        ),
    )
    return decision


async def produce_transcript(
    ctx: TranscribeContext,
    org_id: str,
    upload: CallUploaded,
    *,
    progress: ProgressReporter | None = None,
) -> Outcome:
    """The slow part, holding no database transaction: fetch, decrypt, transcribe, store.

    ``progress`` hears the engine's progress (``call-progressed``); every report is
    committed before this returns, so none trails the stage's final event."""
    sink = progress.threadsafe(asyncio.get_running_loop()) if progress else None
    try:
        return await _produce(ctx, org_id, upload, sink)
    finally:
        if progress is not None:
            await progress.drain()


async def _produce(
    ctx: TranscribeContext, org_id: str, upload: CallUploaded, sink: ProgressSink | None
) -> Outcome:
    try:
        # the key first: if the event's key cannot be opened, no read is started and dropped
        keys = await ctx.audio_keys.fetch(org_id, upload.audio_key_id)
        async with downloaded_recording(
            ctx.objects.read(upload.audio),
            ctx.keyring,
            keys=keys,
            audio_format=upload.audio_format,
            temp_dir=ctx.settings.temp_dir,
        ) as path:
            language, source = requested_language(
                upload.language, ctx.settings.org_languages.get(org_id)
            )
            transcript = await ctx.engine.transcribe(path, language=language, progress=sink)
            if source is not None:
                transcript = transcript.model_copy(update={"language_source": source})
    except ObjectNotFound as exc:
        return Failed(FailureCode.AUDIO_GONE, f"the recording is no longer available: {exc}")
    except KeyDestroyed:  # ingest destroyed the audio's key: the call is erased
        return Failed(FailureCode.AUDIO_GONE, "the recording was erased (its key is destroyed)")
    except DecryptionError as exc:
        raise PermanentError(f"recording of call {upload.call_id} does not decrypt: {exc}") from exc
    except UndecodableAudio as exc:
        return Failed(FailureCode.UNDECODABLE_AUDIO, str(exc)[:1000])
    except TranscriptionProviderError as exc:
        return Failed(FailureCode.PROVIDER_FAILED, str(exc)[:1000])
    try:
        data_key = await _transcript_data_key(ctx, org_id, upload.call_id)
    except CallErased:  # the final check settles it as erased
        return Failed(FailureCode.AUDIO_GONE, "the call was erased while it was transcribed")
    ciphertext = ctx.keyring.encrypt(
        transcript.model_dump_json().encode(), aad=transcript_aad(upload.call_id), key=data_key
    )
    key = transcript_key(org_id, upload.call_id)
    await ctx.objects.put(key, ciphertext)
    return Transcribed(transcript=transcript, ciphertext=ciphertext, key=key, data_key=data_key)


async def _transcript_data_key(ctx: TranscribeContext, org_id: str, call_id: str) -> DataKey:
    """The call's data key, committed before the object is written; raises ``CallErased``
    rather than make a key again for a call whose erasure destroyed it."""
    async with ctx.db.session() as session:
        if await TranscriptRepository(session, org_id).call_tombstoned(call_id):
            raise CallErased(call_id)
        return await ctx.keys.get(session, call_key_id(call_id))


async def discard_output(ctx: TranscribeContext, org_id: str, call_id: str) -> None:
    """Destroy the call's data key and delete its transcript object, committed in a
    transaction of their own; idempotent (nothing there is no error)."""
    async with ctx.db.session() as session:
        await ctx.keys.destroy(session, [call_key_id(call_id)])
        await ctx.objects.delete(transcript_key(org_id, call_id))


async def discard_if_erased(ctx: TranscribeContext, org_id: str, call_id: str) -> bool:
    """After a worker lost its lease: if an erasure took the call meanwhile (its tombstone
    is there), what the worker may have written (the data key, the transcript object) is
    destroyed, as the erasure could not see it. True if it was."""
    async with ctx.db.session() as session:
        erased = await TranscriptRepository(session, org_id).call_tombstoned(call_id)
    if erased:
        await discard_output(ctx, org_id, call_id)
    return erased


async def _decide(
    repo: TranscriptRepository, event: Envelope, upload: CallUploaded
) -> UploadDecision:
    owner = await repo.owner_of(upload.call_id)
    if owner is not None and owner != event.org_id:
        raise PermanentError(f"call {upload.call_id} is recorded under another organization")
    existing = await repo.get(upload.call_id)
    erased = await repo.is_erased(
        upload.call_id,
        uploader_id=upload.uploader_id,
        participants=upload.participants,
        uploaded_at=event.time,
    )
    restricted = upload.processing_restricted or await repo.any_restricted(
        p.fingerprint for p in upload.participants
    )
    return decide_upload(
        erased=erased, existing=existing.status if existing else None, restricted=restricted
    )


async def _settle_without_work(
    session: AsyncSession, event: Envelope, upload: CallUploaded, decision: UploadDecision
) -> None:
    """An upload to record as restricted, or to skip (erased, done): no work to do. One
    about an erased subject leaves a tombstone of its id, and nothing else."""
    if decision is UploadDecision.RESTRICT:
        await _record(session, event, upload, status=CallStatus.RESTRICTED)
        return
    if decision is UploadDecision.SKIP_ERASED:
        repo = TranscriptRepository(session, event.org_id)
        await repo.record_erased_calls([upload.call_id], request_id="upload-after-erasure")
    log.info("call-uploaded %s for call %s: %s", event.id, upload.call_id, decision.value)


async def _record(
    session: AsyncSession,
    event: Envelope,
    upload: CallUploaded,
    *,
    status: CallStatus,
    result: Transcribed | None = None,
    failure: tuple[FailureCode, str] | None = None,
) -> None:
    repo = TranscriptRepository(session, event.org_id)
    record = await repo.get(upload.call_id) or TranscriptRecord(
        call_id=upload.call_id,
        org_id=event.org_id,
        uploader_id=upload.uploader_id,
        status=status.value,
        uploaded_at=event.time,
    )
    record.uploader_id = upload.uploader_id
    record.status = status.value
    record.failure_code, record.failure_reason = failure if failure else (None, None)
    record.updated_at = utcnow()
    if result is not None:
        t = result.transcript
        record.engine, record.model, record.language = t.engine, t.model, t.language
        record.duration, record.channels = t.duration, t.channels
        record.speakers, record.word_count = t.speakers, t.word_count
        record.transcript_enc, record.s3_key = result.ciphertext, result.key
    session.add(record)
    await session.flush()
    await repo.replace_participants(upload.call_id, upload.participants)


def _transcribed(
    upload: CallUploaded, transcript: Transcript, ref: ObjectRef, data_key_id: str
) -> CallTranscribed:
    return CallTranscribed(
        call_id=upload.call_id,
        uploader_id=upload.uploader_id,
        transcript=ref,
        transcript_key_id=data_key_id,
        engine=transcript.engine,
        model=transcript.model,
        language=transcript.language,
        duration=transcript.duration,
        channels=transcript.channels,
        speakers=transcript.speakers,
        word_count=transcript.word_count,
        participants=list(upload.participants),
    )


def _failed(upload: CallUploaded, failure: Failed) -> CallFailed:
    return CallFailed(
        call_id=upload.call_id,
        uploader_id=upload.uploader_id,
        stage="transcribe",
        code=failure.code.value,
        reason=failure.reason,
    )


async def _emit(
    session: AsyncSession,
    event: Envelope,
    upload: CallUploaded,
    payload: CallTranscribed | CallFailed,
) -> None:
    subjects = event.subject_ids or [
        upload.call_id,
        upload.uploader_id,
        *(p.fingerprint for p in upload.participants if p.fingerprint),
    ]
    await emit(
        session,
        make_event(
            payload, source=SERVICE, org_id=event.org_id, key=upload.call_id, subject_ids=subjects
        ),
    )
