"""Accepting a call: receive the upload, check it, store its audio encrypted, record it.

One pass over the bytes (issue 20): while the body arrives, each piece of the file is
written to a temporary file and hashed, encrypted (CTS2, under the call's new data key)
into an S3 multipart upload whose parts are sent concurrently, and probed by PyAV
reading the temporary file as it grows (``adapters.upload_spool``). Then, in order:

1. everything that can refuse the upload (fields, duplicate check, the probe's verdict,
   quota) is decided; a refused upload's multipart upload is **aborted** (its parts
   deleted): nothing of it stays in S3, and the object never existed;
2. the multipart upload is completed (a video's is aborted instead and its audio track,
   remuxed from the temporary file, is put in its place);
3. the call row, its participants and the ``call-uploaded`` event commit in one
   transaction that first re-checks the quota under the organization's quota lock
   (``reserve_minutes``: concurrent uploads cannot together exceed the plan); if that
   fails the object is deleted again.

An upload still arriving ``upload_max_seconds`` after it began is refused (408) and its
multipart upload aborted, well before the orphan sweep would take an upload that old
for a crash's leftover and abort it underneath (``orphan_grace_seconds``).

A crash (kill -9) anywhere leaves at most a pending multipart upload or an object no
row points to, never a row without its object: both are removed by the orphan sweep
(``service_layer.reconcile``). The call's data key is only in memory until the row
commits.

A second upload of the same bytes is found through an org-keyed HMAC of the file's
sha256 and answered with the existing call **only when the uploader may see that call**
(``clashtor_common.identity.visible_uploaders``). Otherwise it is answered exactly as a
new upload: a new call of the uploader's own. Answering with the other call would hand
its title, participants and uploader to someone who gets 404 on it (issue 11, hole 6),
and even a bare "already uploaded" would tell a rep what a colleague recorded. Two
racing uploads of the same bytes by one uploader are settled by the unique constraint
on (org, uploader, hash).

An internal upload may name its source (``X-Clashtor-Source``, a Zoom import's
``zoom:<recording file id>``): a second upload of that source in the org is answered
with the call made from it, and one whose call was erased is refused (410
``source_erased``) and nothing of it kept, checked again under the quota lock the call is
recorded under. So an import whose outcome integrations lost (a crash, a timeout while
ingest committed) and whose call was erased meanwhile does not bring the call back
when it is taken up again: the bytes alone would not, erased calls keep no hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import tempfile
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from clashtor_common.crypto import DataKey
from clashtor_common.datakeys import call_key_id
from clashtor_common.db import utcnow
from clashtor_common.events import CallUploaded, ParticipantRef, make_event
from clashtor_common.identity import Identity, visible_uploaders
from clashtor_common.languages import UnknownLanguage, parse_language
from clashtor_common.outbox import emit
from clashtor_common.upload_form import SOURCE_MAX_CHARS
from ingest.adapters.audio_probe import AudioProbe, extract_audio
from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.object_store import SealedWriter
from ingest.adapters.privacy_repo import (
    any_restricted,
    is_erased_organization,
    is_erased_source,
    is_erased_user,
)
from ingest.adapters.tables import CallRecord, ParticipantRecord
from ingest.adapters.upload_spool import SpooledUpload, arriving_within, spool_upload
from ingest.context import IngestContext
from ingest.domain.access import can_see
from ingest.domain.errors import (
    BadUpload,
    EmptyUpload,
    InvalidField,
    OrganizationErased,
    SourceErased,
    SourceTaken,
    UploaderErased,
)
from ingest.domain.formats import stored_format
from ingest.domain.participants import ParticipantIn, parse_participants
from ingest.domain.quota import ensure_call_fits, ensure_call_length, remaining_seconds
from ingest.domain.status import CallStatus
from ingest.service_layer.personal import (
    key_ids,
    new_participant,
    seal_title,
    set_email,
    set_name,
)
from ingest.service_layer.quota import QuotaStatus, reserve_minutes
from ingest.service_layer.views import call_view

log = logging.getLogger(__name__)
SOURCE = "ingest"
MB = 1024 * 1024


@dataclass(frozen=True)
class UploadResult:
    call: dict[str, Any]
    created: bool


def content_key(secret: str, org_id: str, sha256_hex: str) -> str:
    """Org-scoped keyed hash of the file's sha256: equal bytes meet only inside one org."""
    return hmac.new(secret.encode(), f"{org_id}:{sha256_hex}".encode(), hashlib.sha256).hexdigest()


def audio_key(org_id: str, call_id: str) -> str:
    """Chosen before the bytes arrive (the upload streams to it), so it names no format:
    the call row holds that (``audio_format``, ``content_type``)."""
    return f"orgs/{org_id}/calls/{call_id}/audio.enc"


def clean_language(raw: str | None) -> str | None:
    """The language the uploader set (ISO 639-1), or None to detect; 422 if unknown."""
    try:
        return parse_language(raw)
    except UnknownLanguage as exc:
        raise InvalidField(str(exc)) from exc


def clean_title(raw: str | None, max_chars: int) -> str | None:
    title = (raw or "").strip()
    if len(title) > max_chars:
        raise InvalidField(f"title is {len(title)} characters; at most {max_chars} are allowed")
    return title or None


def clean_source(raw: str | None) -> str | None:
    """The upload's source reference (``X-Clashtor-Source``), or None; 422 if too long."""
    source = (raw or "").strip()
    if len(source) > SOURCE_MAX_CHARS:
        raise InvalidField(f"the source reference is longer than {SOURCE_MAX_CHARS} characters")
    return source or None


async def _view(repo: CallRepository, ctx: IngestContext, call: CallRecord) -> dict[str, Any]:
    participants = (await repo.participants([call.id]))[call.id]
    sealer = await ctx.keys.sealer(repo.session, key_ids([call.id], participants))
    return call_view(sealer, call, participants)


async def existing_call(
    ctx: IngestContext, identity: Identity, content_hash: str
) -> dict[str, Any] | None:
    """The call with these bytes that ``identity`` may see, if there is one."""
    async with ctx.db.session() as session:
        repo = CallRepository(session, identity.org_id)
        call = await repo.find_by_content(content_hash, uploaders=visible_uploaders(identity))
        return None if call is None else await _view(repo, ctx, call)


async def existing_source(
    ctx: IngestContext, identity: Identity, source_ref: str
) -> dict[str, Any] | None:
    """The call made from ``source_ref`` in the org, if there is one; ``SourceErased``
    if it was erased, ``SourceTaken`` if it is a call ``identity`` may not see."""
    async with ctx.db.session() as session:
        repo = CallRepository(session, identity.org_id)
        call = await repo.find_by_source(source_ref)
        if call is None:
            if await is_erased_source(session, identity.org_id, source_ref):
                raise SourceErased("the call made from this source was erased")
            return None
        if not can_see(identity, call.uploader_id):
            raise SourceTaken("another uploader's call was made from this source")
        return await _view(repo, ctx, call)


async def existing_upload(
    ctx: IngestContext, identity: Identity, content_hash: str, source_ref: str | None
) -> dict[str, Any] | None:
    """The call an upload repeats: the one made from its source, else the visible one
    with the same bytes."""
    if source_ref is not None:
        found = await existing_source(ctx, identity, source_ref)
        if found is not None:
            return found
    return await existing_call(ctx, identity, content_hash)


def probe_budget(ctx: IngestContext, quota: QuotaStatus) -> float:
    """Seconds of audio worth decoding: past the longest call or the minutes left this
    period the upload is refused anyway, and the refusal names the length so far."""
    max_call = ctx.settings.max_call_minutes * 60
    return min(max_call, remaining_seconds(quota.plan, quota.used_seconds))


async def measure_upload(
    ctx: IngestContext, upload: SpooledUpload, quota: QuotaStatus
) -> AudioProbe:
    """The probe's verdict (measured from decoded samples, never headers or timestamps;
    decoding stopped at ``probe_budget``), checked against the call length and quota."""
    probe = await upload.probe()
    max_call = ctx.settings.max_call_minutes * 60
    ensure_call_length(probe.duration, max_call, at_least=probe.over_limit)
    ensure_call_fits(quota.plan, quota.used_seconds, probe.duration, at_least=probe.over_limit)
    return probe


@dataclass(frozen=True)
class NewCall:
    """The call an upload becomes if accepted: its id, audio key and data key (in memory
    until the row commits: a failed upload leaves no key), and the audio being written."""

    id: str
    key: str
    data_key: DataKey
    audio: SealedWriter
    source_ref: str | None = None


async def accept_upload(
    ctx: IngestContext,
    identity: Identity,
    quota: QuotaStatus,
    content_type: str | None,
    body: AsyncIterable[bytes],
    source_ref: str | None = None,
) -> UploadResult:
    """Receive the upload form in ``body`` and turn it into a stored call (or the
    existing one), in one pass over its bytes."""
    settings = ctx.settings
    call_id = str(uuid.uuid4())
    key = audio_key(identity.org_id, call_id)
    call_key = DataKey.generate(call_key_id(call_id))
    async with ctx.objects.writer(
        key,
        call_key,
        part_size=settings.upload_part_mb * MB,
        in_flight=settings.upload_parts_in_flight,
    ) as audio:
        async with spool_upload(
            content_type,
            arriving_within(body, settings.upload_max_seconds),
            limit_bytes=quota.upload_limit_bytes,
            limit_label=f"{quota.upload_limit_mb} MB",
            form_limits=settings.form_limits(),
            temp_dir=settings.upload_temp_dir,
            sink=audio,
            probe_seconds=probe_budget(ctx, quota),
        ) as upload:
            return await register_upload(
                ctx, identity, upload, quota, NewCall(call_id, key, call_key, audio, source_ref)
            )


async def register_upload(
    ctx: IngestContext,
    identity: Identity,
    upload: SpooledUpload,
    quota: QuotaStatus,
    new: NewCall,
) -> UploadResult:
    """Turn a received upload into a stored call and a ``call-uploaded`` event."""
    settings = ctx.settings
    if upload.path is None:
        raise BadUpload("the form has no 'file' part")
    if upload.size == 0:
        raise EmptyUpload("the file is empty (0 bytes)")
    title = clean_title(upload.fields.get("title"), settings.title_max_chars)
    people = parse_participants(
        upload.fields.get("participants"), max_count=settings.participants_max_count
    )
    language = clean_language(upload.fields.get("language"))
    org_id = identity.org_id
    content_hash = content_key(ctx.fingerprint_secret, org_id, upload.sha256)
    found = await existing_upload(ctx, identity, content_hash, new.source_ref)
    if found is not None:
        return UploadResult(found, created=False)

    probe = await measure_upload(ctx, upload, quota)

    size_bytes = upload.size
    if probe.has_video:
        size_bytes = await _store_audio_track(ctx, upload.path, probe, new)
    else:
        await new.audio.complete()

    try:
        view = await _record(
            ctx,
            identity,
            new,
            title,
            language,
            people,
            probe,
            upload,
            size_bytes,
            content_hash,
            quota,
        )
    except IntegrityError:
        await _forget_object(ctx, new.key)
        found = await existing_upload(ctx, identity, content_hash, new.source_ref)
        if found is None:
            raise
        return UploadResult(found, created=False)
    except BaseException:
        await _forget_object(ctx, new.key)
        raise
    return UploadResult(view, created=True)


async def _store_audio_track(
    ctx: IngestContext, path: Path, probe: AudioProbe, new: NewCall
) -> int:
    """A video keeps only its audio (the picture is personal data the product never
    uses): the streamed upload of the whole file is aborted, the remuxed audio track
    put in its place. Returns the stored plaintext size."""
    await new.audio.parts.abort()
    extension = stored_format(probe.stored_format).extension
    with tempfile.TemporaryDirectory(
        prefix="ingest-remux-", dir=ctx.settings.upload_temp_dir
    ) as tmp:
        stored_path = Path(tmp) / f"audio.{extension}"
        await asyncio.to_thread(extract_audio, path, stored_path)
        await ctx.objects.put_file(new.key, stored_path, new.data_key)
        return stored_path.stat().st_size


async def _forget_object(ctx: IngestContext, key: str) -> None:
    try:
        await ctx.objects.delete(key)
    except Exception:  # the upload failed anyway; say so loudly, the caller sees the first error
        log.exception("could not delete orphaned audio object %s", key)


async def _record(
    ctx: IngestContext,
    identity: Identity,
    new: NewCall,
    title: str | None,
    language: str | None,
    people: list[ParticipantIn],
    probe: AudioProbe,
    upload: SpooledUpload,
    size_bytes: int,
    content_hash: str,
    quota: QuotaStatus,
) -> dict[str, Any]:
    org_id = identity.org_id
    call_id, call_key, key = new.id, new.data_key, new.key
    fmt = stored_format(probe.stored_format)
    now = utcnow()
    participants: list[ParticipantRecord] = [
        new_participant(org_id=org_id, call_id=call_id, position=index, person=person)
        for index, person in enumerate(people)
    ]
    async with ctx.db.session() as session:
        await reserve_minutes(session, org_id, quota.plan, probe.duration)
        # under the organization's lock, which the erasure of a user or of the
        # organization takes too: either that erasure sees this call and removes it, or
        # this sees the erasure
        if await is_erased_organization(session, org_id):
            raise OrganizationErased("the organization was erased: nothing is recorded in it")
        if await is_erased_user(session, org_id, identity.user_id):
            raise UploaderErased("the uploader's data was erased: nothing is recorded for them")
        if new.source_ref and await is_erased_source(session, org_id, new.source_ref):
            raise SourceErased("the call made from this source was erased")
        await ctx.keys.add(session, call_key)
        sealer = await ctx.keys.sealer(session, key_ids([call_id], participants), create=True)
        for record, person in zip(participants, people, strict=True):
            set_name(sealer, record, person.name)
            set_email(sealer, ctx.fingerprint_secret, record, person.email)
        fingerprints = [p.email_fingerprint for p in participants if p.email_fingerprint]
        restricted = await any_restricted(session, org_id, fingerprints)
        call = CallRecord(
            id=call_id,
            org_id=org_id,
            uploader_id=identity.user_id,
            title_enc=seal_title(sealer, call_id, title),
            status=CallStatus.UPLOADED.value,
            duration=probe.duration,
            channels=probe.channels,
            sample_rate=probe.sample_rate,
            audio_format=fmt.name,
            source_format=probe.source_format,
            codec=probe.codec,
            content_type=fmt.content_type,
            size_bytes=size_bytes,
            upload_bytes=upload.size,
            s3_key=key,
            content_hash=content_hash,
            processing_restricted=restricted,
            language=language,
            source_ref=new.source_ref,
            created_at=now,
            updated_at=now,
        )
        CallRepository(session, org_id).add(call, participants)
        await session.flush()  # a duplicate content hash fails here, before the event
        event = CallUploaded(
            call_id=call_id,
            uploader_id=identity.user_id,
            audio=ctx.objects.store.ref(key),
            audio_key_id=call_key.id,
            audio_format=fmt.name,
            duration=probe.duration,
            channels=probe.channels,
            sample_rate=probe.sample_rate,
            size_bytes=size_bytes,
            participants=[
                ParticipantRef(
                    participant_id=p.id,
                    role=p.role,  # type: ignore[arg-type]
                    fingerprint=p.email_fingerprint,
                )
                for p in participants
            ],
            processing_restricted=restricted,
            language=language,
        )
        await emit(
            session,
            make_event(
                event,
                source=SOURCE,
                org_id=org_id,
                key=call_id,
                subject_ids=[call_id, identity.user_id, *fingerprints],
            ),
        )
    return call_view(sealer, call, participants)
