"""The records every privacy workflow writes: the request, its audit entry, its event.

Every function takes the caller's session: the state change, the audit entry and the
events it emits (outbox) commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import EventPayload, PrivacyRequestCompleted, make_event
from clashtor_common.identity import Identity
from clashtor_common.outbox import emit
from privacy.adapters.tables import (
    Acknowledgement,
    AuditEntry,
    PrivacyRequest,
    SubjectFlags,
    Tombstone,
)
from privacy.context import SOURCE
from privacy.domain.requests import AckStatus, Kind, Status
from privacy.domain.subjects import SubjectRef

#: Actor recorded for what privacy does on its own (completions, expiries, purges).
SYSTEM_ACTOR = "system:privacy"


@dataclass(frozen=True)
class Asker:
    """Who asks about whom: the organization, the subject, and the requesting user (or
    system actor) with their role, as a request records them."""

    org_id: str
    subject: SubjectRef
    user_id: str
    role: str


def subject_of(req: PrivacyRequest | Tombstone | SubjectFlags) -> SubjectRef:
    return SubjectRef(type=req.subject_type, id=req.subject_id, fingerprint=req.subject_fingerprint)


def _event_subject_ids(subject: SubjectRef) -> list[str]:
    return [subject.id] if subject.id else []


async def emit_event(
    session: AsyncSession, payload: EventPayload, org_id: str, subject: SubjectRef
) -> None:
    await emit(
        session,
        make_event(payload, source=SOURCE, org_id=org_id, subject_ids=_event_subject_ids(subject)),
    )


def record_audit(
    session: AsyncSession,
    actor: Identity | Asker,
    *,
    at: datetime,
    action: str,
    request_id: str | None = None,
    subject: SubjectRef | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """``action`` by ``actor`` (a user, or the asker of a request) in its organization's
    audit log."""
    session.add(
        AuditEntry(
            org_id=actor.org_id,
            at=at,
            actor_id=actor.user_id,
            actor_role=actor.role,
            action=action,
            request_id=request_id,
            subject_type=subject.type if subject else None,
            subject_id=subject.id if subject else None,
            details=details or {},
        )
    )


def new_request(
    asker: Asker,
    *,
    kind: Kind,
    status: Status,
    now: datetime,
    include_audio: bool = False,
    request_id: str | None = None,
) -> PrivacyRequest:
    return PrivacyRequest(
        id=request_id or str(uuid.uuid4()),
        org_id=asker.org_id,
        kind=kind.value,
        status=status.value,
        **asker.subject.columns(),
        requested_by=asker.user_id,
        requested_role=asker.role,
        include_audio=include_audio,
        created_at=now,
        updated_at=now,
    )


def record_system_audit(
    session: AsyncSession,
    req: PrivacyRequest,
    *,
    at: datetime,
    action: str,
    details: dict[str, Any],
) -> None:
    """What privacy did about ``req`` on its own (a completion), in the audit log."""
    subject = subject_of(req)
    system = Asker(org_id=req.org_id, subject=subject, user_id=SYSTEM_ACTOR, role="system")
    record_audit(
        session, system, at=at, action=action, request_id=req.id, subject=subject, details=details
    )


async def open_request(
    session: AsyncSession,
    asker: Asker,
    *,
    kind: Kind,
    now: datetime,
    services: Sequence[str],
    include_audio: bool = False,
    request_id: str | None = None,
) -> PrivacyRequest:
    """A pending request waiting for an answer from each of ``services`` (sent once now)."""
    req = new_request(
        asker,
        kind=kind,
        status=Status.PENDING,
        now=now,
        include_audio=include_audio,
        request_id=request_id,
    )
    session.add(req)
    await session.flush()
    for service in services:
        session.add(acknowledgement(req, service, now))
    return req


def acknowledgement(
    req: PrivacyRequest,
    service: str,
    sent_at: datetime,
    *,
    answer: dict[str, Any] | None = None,
) -> Acknowledgement:
    """``service``'s acknowledgement of ``req``, sent to it once at ``sent_at``: pending, or
    completed then with ``answer`` as its details."""
    return Acknowledgement(
        request_id=req.id,
        org_id=req.org_id,
        service=service,
        status=(AckStatus.PENDING if answer is None else AckStatus.COMPLETED).value,
        attempts=1,
        last_sent_at=sent_at,
        answered_at=None if answer is None else sent_at,
        details=answer or {},
    )


async def fail_request(
    session: AsyncSession, req: PrivacyRequest, reason: str, now: datetime
) -> None:
    req.status = Status.FAILED.value
    req.failure = reason[:1000]
    req.updated_at = now
    await announce_outcome(session, req)


async def announce_outcome(session: AsyncSession, req: PrivacyRequest) -> None:
    """``privacy-request-completed`` for an export or erasure that reached its end, in
    the transaction that ended it (integrations turns it into a webhook)."""
    if req.kind not in (Kind.ERASURE, Kind.EXPORT):
        return
    payload = PrivacyRequestCompleted(
        request_id=req.id,
        kind=req.kind,  # type: ignore[arg-type]
        status=req.status,  # type: ignore[arg-type]
        subject_type=req.subject_type,  # type: ignore[arg-type]
    )
    await emit_event(session, payload, req.org_id, subject_of(req))
