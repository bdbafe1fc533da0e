"""Event handlers of the privacy service: one function per event, dependencies by name.

All run inside the bus's transaction with the inbox record, so a duplicate or a
redelivered answer changes nothing twice. Answers are matched to requests by request
id AND the envelope's organization: an answer can never touch another org's request.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import CallUploaded, Envelope, ErasureCompleted, ExportPartReady, Topic
from clashtor_common.subscriptions import Subscriptions
from privacy.adapters import repository as repo
from privacy.adapters.tables import Acknowledgement, PrivacyRequest, RetainedCall
from privacy.context import PrivacyContext
from privacy.domain.clock import as_utc
from privacy.domain.requests import (
    AckState,
    AckStatus,
    Kind,
    Status,
    erasure_status,
    export_outcome,
)
from privacy.domain.retention import call_subjects
from privacy.service_layer.erasure import complete_erasure
from privacy.service_layer.export import assemble_export
from privacy.service_layer.records import fail_request

log = logging.getLogger(__name__)
#: The requests API and the scheduler fan privacy requests out; the scheduler also fails
#: overdue requests (privacy-request-completed, which the handlers emit too).
events = Subscriptions(
    also_produces=(
        Topic.ERASURE_REQUESTED,
        Topic.EXPORT_REQUESTED,
        Topic.SUBJECT_RECTIFIED,
        Topic.SUBJECT_RESTRICTED,
        Topic.PRIVACY_REQUEST_COMPLETED,
    )
)


async def _answered(
    session: AsyncSession, event: Envelope, answer: ErasureCompleted | ExportPartReady, kind: Kind
) -> tuple[PrivacyRequest, list[Acknowledgement], Acknowledgement] | None:
    """The request a service answered and that service's acknowledgement; None (logged)
    for an answer to an unknown request of this kind or from a service never asked."""
    req = await repo.get_request(session, event.org_id, answer.request_id)
    if req is None or req.kind != kind:
        log.warning("%s for unknown request %s ignored", event.type, answer.request_id)
        return None
    acks = await repo.acknowledgements(session, req.id)
    ack = next((a for a in acks if a.service == answer.service), None)
    if ack is None:
        log.warning("%s from unexpected service %s ignored", event.type, answer.service)
        return None
    return req, acks, ack


@events.handles(Topic.ERASURE_COMPLETED, emits=(Topic.PRIVACY_REQUEST_COMPLETED,))
async def on_erasure_completed(
    event: Envelope, session: AsyncSession, context: PrivacyContext
) -> None:
    """Record one service's acknowledgement; complete the request when all have answered.

    The first successful answer of a service wins; later answers from it (duplicates,
    answers to a re-send) change nothing. A failed answer is recorded and the service
    gets the request again after the re-send timeout."""
    answer = event.payload_as(ErasureCompleted)
    found = await _answered(session, event, answer, Kind.ERASURE)
    if found is None:
        return
    req, acks, ack = found
    if ack.status == AckStatus.COMPLETED:
        return
    now = context.clock.now()
    ack.status = answer.status
    ack.answered_at = now
    ack.event_id = str(event.id)
    ack.details = {
        "removed": dict(answer.removed),
        "kept": [k.model_dump() for k in answer.kept],
        "message": answer.details[:1000],
        "attempt": ack.attempts,
    }
    states = [AckState(a.service, a.status, a.attempts) for a in acks]
    new_status = erasure_status(req.status, states)
    if new_status == Status.COMPLETED and req.status != Status.COMPLETED:
        await complete_erasure(session, context, req, acks)
    else:
        req.status = new_status
        req.updated_at = now


@events.handles(Topic.EXPORT_PART_READY, emits=(Topic.PRIVACY_REQUEST_COMPLETED,))
async def on_export_part_ready(
    event: Envelope, session: AsyncSession, context: PrivacyContext
) -> None:
    """Record one service's part; when every expected part is in, assemble the bundle."""
    answer = event.payload_as(ExportPartReady)
    found = await _answered(session, event, answer, Kind.EXPORT)
    if found is None:
        return
    req, acks, ack = found
    if req.status not in (Status.PENDING, Status.IN_PROGRESS):
        log.info("export-part-ready for finished request %s ignored", req.id)
        return
    if ack.status != AckStatus.PENDING:
        return
    now = context.clock.now()
    ack.status = AckStatus.COMPLETED.value if answer.status == "ready" else AckStatus.FAILED.value
    ack.answered_at = now
    ack.event_id = str(event.id)
    ack.part_bucket, ack.part_key = (
        (answer.part.bucket, answer.part.key) if answer.part else (None, None)
    )
    ack.details = {"items": answer.items, "message": answer.details[:1000]}
    status, failure = export_outcome(AckState(a.service, a.status) for a in acks)
    req.updated_at = now
    if status == Status.COMPLETED:
        await assemble_export(session, context, req, acks)
    elif status == Status.FAILED:
        await fail_request(session, req, failure or "export failed", now)
    else:
        req.status = status


@events.handles(Topic.CALL_UPLOADED)
async def on_call_uploaded(event: Envelope, session: AsyncSession) -> None:
    """Remember the call, its upload time and whom it is about, to apply retention.

    A call already erased (a replay of an old event) is not remembered again."""
    call = event.payload_as(CallUploaded)
    if await session.get(RetainedCall, (event.org_id, call.call_id)) is not None:
        return
    if await repo.is_erased(session, event.org_id, "call", f"id:{call.call_id}"):
        return
    session.add(
        RetainedCall(
            org_id=event.org_id,
            call_id=call.call_id,
            uploaded_at=as_utc(event.time),
            subjects=call_subjects(call),
        )
    )
