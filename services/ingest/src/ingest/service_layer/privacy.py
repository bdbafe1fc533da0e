"""Data-subject rights as far as ingest holds data: erasure, export, restriction, rectification.

Whose calls a subject means:

- ``call``: that call;
- ``participant``: every call they took part in (their voice is in the recording),
  found by email fingerprint or by participant id;
- ``user``: every call they uploaded;
- ``organization``: every call of the organization.

Erasure destroys the data keys first (``call:<id>`` seals the audio and title,
``participant:<id>`` a name and email), then deletes the S3 objects (idempotent, so a
retry after a crash only repeats deletes) and the rows, all in one transaction, and leaves
tombstones of ids and hashes only.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common import rights
from clashtor_common.bus import PermanentError
from clashtor_common.crypto import DecryptionError
from clashtor_common.datakeys import Sealer
from clashtor_common.db import utcnow
from clashtor_common.events import (
    Envelope,
    Subject,
    SubjectRectified,
    Topic,
)
from clashtor_common.exportparts import org_part_key, write_part
from clashtor_common.outbox import drop_unsent
from clashtor_common.s3 import ObjectNotFound
from clashtor_common.subjects import calls_for_subject
from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.playlists_repo import PlaylistRepository
from ingest.adapters.privacy_repo import (
    any_restricted,
    record_erased_calls,
    record_erased_fingerprint,
    record_erased_organization,
    record_erased_user,
    set_restriction,
)
from ingest.adapters.quota_lock import lock_org_quota
from ingest.adapters.tables import CallRecord, PlanRecord, RestrictionRecord
from ingest.context import IngestContext
from ingest.domain.formats import stored_format
from ingest.domain.participants import normalize_email
from ingest.service_layer.library import playlist_view
from ingest.service_layer.personal import key_ids, set_email, set_name
from ingest.service_layer.views import call_view

log = logging.getLogger(__name__)
SERVICE = "ingest"
KEPT = rights.KeptRecord(
    what="ids, durations and sources (Zoom recording file ids) of erased calls, email fingerprints of erased participants, "
    "ids of erased users and organizations",
    why="so late or replayed events about them change nothing, a late upload in an erased "
    "user's name or organization or of an erased call's recording is refused, and used "
    "minutes stay counted",
)


# erasure -------------------------------------------------------------------------------


async def _fence_uploads(
    session: AsyncSession, org_id: str, subject: Subject, request_id: str
) -> None:
    """The tombstone that refuses the erased uploader's or organization's later uploads,
    left under the lock an upload records its call under: an upload in progress either
    committed before (its call is erased with the others) or sees the tombstone."""
    if subject.type == "user" and subject.id:
        await lock_org_quota(session, org_id)
        await record_erased_user(session, org_id, subject.id, request_id)
    elif subject.type == "organization" and (subject.id or org_id) == org_id:
        await lock_org_quota(session, org_id)
        await record_erased_organization(session, org_id, request_id)


async def erase_subject(
    ctx: IngestContext, session: AsyncSession, event: Envelope, request: rights.ErasureRequested
) -> rights.ErasureCompleted:
    """Erase everything ingest holds about the subject; raises ``UnusableSubject`` for a
    subject ingest cannot look up."""
    org_id = event.org_id
    repo = CallRepository(session, org_id)
    subject = request.subject
    await _fence_uploads(session, org_id, subject, request.request_id)
    calls = await calls_for_subject(subject, repo)
    call_ids = [c.id for c in calls]
    if any(call.source_ref for call in calls):
        # an upload of the same source (a Zoom re-import) records its call under this
        # lock: it either committed before (and clashes with the call, then finds the
        # tombstone) or sees the tombstone this leaves
        await lock_org_quota(session, org_id)
    # the keys first: from this transaction's commit on, every copy of the audio, titles,
    # names and emails (S3 volumes, pages, WAL, backups) is noise
    people = await repo.participants(call_ids)
    everyone = [p for rows in people.values() for p in rows]
    keys = await ctx.keys.destroy(session, key_ids(call_ids, everyone))
    objects = await ctx.objects.delete_many([call.s3_key for call in calls])
    if subject.type == "organization":
        objects += await ctx.objects.store.delete_prefix(f"orgs/{org_id}/")
    await record_erased_calls(session, calls, request.request_id)
    library = PlaylistRepository(session, org_id)
    playlist_items = await library.delete_items_of_calls(call_ids)
    participants = await repo.delete_calls(call_ids)
    # a call-uploaded still waiting in the outbox would point at an erased call
    await drop_unsent(session, topics=[Topic.CALL_UPLOADED.value], keys=call_ids)
    if subject.type == "participant" and subject.fingerprint:
        await record_erased_fingerprint(session, org_id, subject.fingerprint, request.request_id)
        await session.execute(
            delete(RestrictionRecord).where(
                RestrictionRecord.org_id == org_id,
                RestrictionRecord.fingerprint == subject.fingerprint,
            )
        )
    playlists = 0
    if subject.type == "user" and subject.id:
        playlists = await library.forget_user(subject.id)
    if subject.type == "organization":
        playlists = await library.delete_all()
        await session.execute(delete(RestrictionRecord).where(RestrictionRecord.org_id == org_id))
        await session.execute(delete(PlanRecord).where(PlanRecord.org_id == org_id))
    removed = {
        "calls": len(call_ids),
        "participants": participants,
        "audio_objects": objects,
        "data_keys": keys,
        "playlist_items": playlist_items,
        "playlists": playlists,
    }
    return rights.erased(request, SERVICE, removed, KEPT)


# export --------------------------------------------------------------------------------


async def export_subject(
    ctx: IngestContext, session: AsyncSession, event: Envelope, request: rights.ExportRequested
) -> rights.ExportPartReady:
    """The subject's part, encrypted in S3 (privacy's part format); raises
    ``UnusableSubject`` for a subject ingest cannot look up.

    The part is ``Keyring.encrypt`` (record format) of UTF-8 JSON ``{service,
    request_id, subject, items, files}``: one item per call (metadata and
    participants), and with ``include_audio`` the recordings as base64 ``files`` named
    ``<call id>.<ext>``. Audio that would push the part past
    ``export_max_audio_mb`` is left out and the item says so.
    """
    org_id = event.org_id
    repo = CallRepository(session, org_id)
    calls = await calls_for_subject(request.subject, repo)
    playlists = await _playlists_of(session, org_id, request.subject)
    people = await repo.participants([c.id for c in calls])
    everyone = [p for rows in people.values() for p in rows]
    sealer = await ctx.keys.sealer(session, key_ids([c.id for c in calls], everyone))
    items = [_export_item(call_view(sealer, c, people[c.id]), request.subject) for c in calls]
    files: dict[str, str] = {}
    omitted = 0
    if request.include_audio:
        budget = ctx.settings.export_max_audio_mb * 1024 * 1024
        for call, item in zip(calls, items, strict=True):
            encoded_size = (call.size_bytes + 2) // 3 * 4
            if encoded_size > budget:
                item["audio_file"] = None
                item["audio_omitted"] = "the recording does not fit in one export part"
                omitted += 1
                continue
            name = f"{call.id}.{stored_format(call.audio_format).extension}"
            audio = await _read_audio(ctx, call, sealer)
            files[name] = base64.b64encode(audio).decode()
            item["audio_file"] = name
            budget -= encoded_size
    items += playlists
    return await write_part(
        service=SERVICE,
        request=request,
        items=items,
        s3=ctx.objects.store,
        keyring=ctx.keyring,
        key=org_part_key(org_id, request.request_id, SERVICE),
        extra={"files": files},
        details=f"{omitted} recording(s) left out: too large for one part" if omitted else "",
    )


async def _playlists_of(
    session: AsyncSession, org_id: str, subject: Subject
) -> list[dict[str, Any]]:
    """A user's export holds the playlists they created; an organization's, all of them."""
    if subject.type == "user" and subject.id:
        creator: str | None = subject.id
    elif subject.type == "organization":
        creator = None
    else:
        return []
    library = PlaylistRepository(session, org_id)
    out = []
    for playlist in await library.page(after=None, size=100_000, created_by=creator):
        view = playlist_view(playlist, 0)
        view.pop("item_count")
        entries = [
            {"call_id": i.call_id, "start": i.start, "end": i.end, "position": i.position}
            for i in await library.items(playlist.id)
        ]
        out.append({"kind": "playlist", **view, "items": entries})
    return out


def _export_item(view: dict[str, Any], subject: Subject) -> dict[str, Any]:
    """A call as its data subject sees it; a participant sees others only as a role."""
    people = [
        {k: v for k, v in p.items() if k != "email_fingerprint"} for p in view["participants"]
    ]
    if subject.type == "participant":
        own = {
            p["id"]
            for p in view["participants"]
            if (subject.fingerprint and p["email_fingerprint"] == subject.fingerprint)
            or (subject.id and p["id"] == subject.id)
        }
        people = [p if p["id"] in own else {"role": p["role"]} for p in people]
        people.sort(key=lambda p: "id" not in p)
    return {**view, "participants": people}


async def _read_audio(ctx: IngestContext, call: CallRecord, sealer: Sealer) -> bytes:
    pieces = ctx.objects.read_all(call.s3_key, call.size_bytes, sealer.keys)
    return b"".join([piece async for piece in pieces])


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
    role: str | None = None,
) -> int:
    """Correct a participant's name and/or email on every call of the org (only rows
    with ``role`` when given); returns rows changed."""
    repo = CallRepository(session, org_id)
    rows = [
        r
        for r in await repo.participants_with_fingerprint(fingerprint)
        if role is None or r.role == role
    ]
    sealer = await ctx.keys.sealer(session, key_ids([], rows), create=True)
    for row in rows:
        if "name" in fields:
            set_name(sealer, row, name)
        if "email" in fields:
            set_email(sealer, ctx.fingerprint_secret, row, email)
        session.add(row)
    return len(rows)


async def apply_rectification(
    ctx: IngestContext, session: AsyncSession, org_id: str, change: SubjectRectified
) -> int:
    """Apply privacy's ``subject-rectified`` claim check to the participant's rows.

    The new values travel encrypted in the object ``changes`` names (``{changes: {name?,
    email?}}``), read with ingest's own S3 client. An object that is gone means the subject was erased meanwhile: nothing to
    correct. Only participants (by email fingerprint) are held here; a ``user`` subject
    with a fingerprint (a user's own change of name or email, named by the address they
    had before) corrects only the rows where they took part as a rep: a customer row
    with the same address is someone else's data, which a user's own change never rewrites.
    """
    subject = change.subject
    if subject.type not in ("participant", "user") or not subject.fingerprint:
        return 0
    try:
        blob = await ctx.objects.store.read(change.changes)
    except ObjectNotFound:
        log.info("rectification %s: claim check gone, nothing to apply", change.request_id)
        return 0
    try:
        document = json.loads(ctx.keyring.decrypt(blob))
        changes = document.get("changes") or {}
        name = changes.get("name")
        email = normalize_email(changes["email"]) if changes.get("email") else None
    except (DecryptionError, ValueError, TypeError, AttributeError) as exc:
        raise PermanentError(f"rectification {change.request_id}: unreadable changes") from exc
    fields = {f for f in ("name", "email") if f in changes}
    return await rectify_participants(
        ctx,
        session,
        org_id,
        subject.fingerprint,
        name=name,
        email=email,
        fields=fields,
        role="rep" if subject.type == "user" else None,
    )
