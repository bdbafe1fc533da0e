"""Export: fanned out to every service, their parts checked and bundled into ONE file.

The bundle is encrypted in S3; a part that is gone, does not decrypt or breaks the
format fails the export, naming the service and the rule, never the content.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.crypto import DecryptionError
from clashtor_common.events import ExportRequested, ObjectRef
from clashtor_common.s3 import ObjectNotFound
from privacy.adapters import repository as repo
from privacy.adapters.tables import Acknowledgement, PrivacyRequest
from privacy.context import PrivacyContext
from privacy.domain.clock import as_utc
from privacy.domain.export_bundle import InvalidPart, Part, build_bundle, parse_part
from privacy.domain.requests import OWN_SERVICE, Kind, Status
from privacy.service_layer.records import (
    Asker,
    announce_outcome,
    emit_event,
    fail_request,
    open_request,
    record_system_audit,
    subject_of,
)


async def start_export(
    session: AsyncSession, deps: PrivacyContext, asker: Asker, *, include_audio: bool
) -> PrivacyRequest:
    req = await open_request(
        session,
        asker,
        kind=Kind.EXPORT,
        now=deps.clock.now(),
        services=deps.settings.export_services,
        include_audio=include_audio,
    )
    payload = ExportRequested(
        request_id=req.id, subject=asker.subject.to_event(), include_audio=include_audio
    )
    await emit_event(session, payload, asker.org_id, asker.subject)
    return req


async def own_export_part(session: AsyncSession, req: PrivacyRequest) -> Part:
    """What privacy itself holds about the subject: its flags and the requests about it."""
    items: list[dict[str, Any]] = []
    flags = await repo.subject_flags(session, req.org_id, req.subject_type, req.subject_key)
    if flags is not None:
        items.append(
            {
                "record": "processing_flags",
                "restricted": flags.restricted,
                "objected": flags.objected,
                "updated_at": as_utc(flags.updated_at).isoformat(),
            }
        )
    for other in await repo.requests_about(session, req.org_id, req.subject_type, req.subject_key):
        items.append(
            {
                "record": "privacy_request",
                "id": other.id,
                "kind": other.kind,
                "status": other.status,
                "created_at": as_utc(other.created_at).isoformat(),
                "completed_at": as_utc(other.completed_at).isoformat()
                if other.completed_at
                else None,
            }
        )
    return Part(service=OWN_SERVICE, items=items)


async def _load_part(deps: PrivacyContext, req: PrivacyRequest, ack: Acknowledgement) -> Part:
    if not (ack.part_bucket and ack.part_key):
        return Part(service=ack.service, items=[])
    blob = await deps.objects.store.read(ObjectRef(bucket=ack.part_bucket, key=ack.part_key))
    if len(blob) > deps.settings.max_part_bytes:
        raise InvalidPart(
            f"part from {ack.service} is larger than {deps.settings.max_part_bytes} bytes"
        )
    try:
        plain = deps.keyring.decrypt(blob)
    except DecryptionError as exc:
        raise InvalidPart(f"part from {ack.service} does not decrypt: {exc}") from exc
    return parse_part(plain, service=ack.service, request_id=req.id, subject=subject_of(req))


def bundle_key(req: PrivacyRequest) -> str:
    return f"exports/{req.org_id}/{req.id}.zip"


async def assemble_export(
    session: AsyncSession, deps: PrivacyContext, req: PrivacyRequest, acks: list[Acknowledgement]
) -> None:
    """Fetch, decrypt and check every part, then store ONE encrypted bundle.

    A part that is gone, does not decrypt or breaks the format fails the export (the
    reason names the service and the rule, never the content). Anything else (S3 or
    network down) raises, so the bus retries the event."""
    now = deps.clock.now()
    parts: list[Part] = []
    try:
        for ack in acks:
            part = await _load_part(deps, req, ack)
            ack.details = {**ack.details, "items": len(part.items), "files": len(part.files)}
            parts.append(part)
    except ObjectNotFound:
        await fail_request(
            session, req, f"export part from {ack.service} is gone (link expired or erased)", now
        )
        return
    except InvalidPart as exc:
        await fail_request(session, req, str(exc), now)
        return
    parts.append(await own_export_part(session, req))
    data, _manifest = build_bundle(
        request_id=req.id,
        subject=subject_of(req),
        generated_at=now,
        include_audio=req.include_audio,
        parts=parts,
    )
    key = bundle_key(req)
    await deps.objects.put_stream(key, data)
    req.object_key = key
    req.bundle_sha256 = hashlib.sha256(data).hexdigest()
    req.status = Status.COMPLETED.value
    req.completed_at = now
    req.updated_at = now
    record_system_audit(
        session,
        req,
        at=now,
        action="export.completed",
        details={"bundle_sha256": req.bundle_sha256, "bytes": len(data)},
    )
    await announce_outcome(session, req)
