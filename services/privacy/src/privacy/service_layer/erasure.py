"""Erasure: recorded, privacy's own copies erased, fanned out, certified when all answer.

Also the erasures privacy starts on its own: a call past its organization's retention
and an organization whose deletion grace period is over. Every function takes the
caller's session, so the request, its audit entry and its events commit together.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from clashtor_common.events import ErasureRequested
from privacy.adapters import repository as repo
from privacy.adapters.tables import (
    AccountDeletion,
    Acknowledgement,
    ErasureCertificate,
    PrivacyRequest,
    RetainedCall,
    Tombstone,
)
from privacy.context import PrivacyContext
from privacy.domain.certificate import CertifiedAck, build_certificate, subject_hash
from privacy.domain.clock import as_utc
from privacy.domain.requests import ACCOUNT_PURGE_ACTOR, OWN_SERVICE, Kind, Status
from privacy.domain.retention import RETENTION_ACTOR, subject_label
from privacy.domain.subjects import SubjectRef
from privacy.service_layer.records import (
    Asker,
    acknowledgement,
    announce_outcome,
    emit_event,
    open_request,
    record_audit,
    record_system_audit,
    subject_of,
)

#: What privacy itself keeps after an erasure, and why (shown in the certificate).
OWN_KEPT_RECORDS = [
    {
        "what": "request, acknowledgement and audit records (ids and keyed hashes only)",
        "why": "accountability: proof that the request was received and carried out",
    },
    {
        "what": "tombstone of the subject id or email fingerprint",
        "why": "keeps the erasure final: lets services and replays recognise an erased subject",
    },
]


async def start_erasure(
    session: AsyncSession, deps: PrivacyContext, asker: Asker, *, request_id: str | None = None
) -> PrivacyRequest:
    """Record the request, erase what privacy holds itself, and fan out ``erasure-requested``."""
    now = deps.clock.now()
    org_id, subject = asker.org_id, asker.subject
    req = await open_request(
        session,
        asker,
        kind=Kind.ERASURE,
        now=now,
        services=deps.settings.erasure_services,
        request_id=request_id,
    )
    removed = await erase_own_data(session, deps, org_id=org_id, subject=subject, now=now)
    answer = {"removed": removed, "kept": OWN_KEPT_RECORDS, "message": ""}
    session.add(acknowledgement(req, OWN_SERVICE, now, answer=answer))
    payload = ErasureRequested(
        request_id=req.id, subject=subject.to_event(), requested_by=asker.user_id, attempt=1
    )
    await emit_event(session, payload, org_id, subject)
    return req


async def erase_own_data(
    session: AsyncSession, deps: PrivacyContext, *, org_id: str, subject: SubjectRef, now: datetime
) -> dict[str, int]:
    """Delete privacy's own copies of personal data for ``subject``.

    - rectification claim checks about the subject (they hold a new name or email);
    - every export bundle of the organization: a bundle of another subject may hold
      this subject's data too (a call they both took part in), so outstanding bundles
      are withdrawn rather than risk a copy surviving the erasure;
    - for an organization: its restriction flags and retention policy as well.
    """
    whole_org = subject.type == "organization"
    claim_checks = bundles = 0
    for row in await repo.objects_to_erase(session, org_id):
        is_bundle = row.kind == Kind.EXPORT
        if (
            not is_bundle
            and not whole_org
            and (row.subject_type, row.subject_key)
            != (
                subject.type,
                subject.key,
            )
        ):
            continue
        assert row.object_key is not None
        await deps.objects.delete(row.object_key)
        row.object_key = None
        row.updated_at = now
        if is_bundle:
            row.bundle_expired_at = now
            bundles += 1
        else:
            claim_checks += 1
    removed = {
        "rectification_claim_checks": claim_checks,
        "export_bundles": bundles,
        "retention_call_index": await _forget_calls(session, org_id, subject),
    }
    if whole_org:
        removed |= await repo.delete_org_settings(session, org_id)
    return removed


def _ack_details(ack: Acknowledgement) -> tuple[dict[str, int], list[dict[str, str]]]:
    return dict(ack.details.get("removed") or {}), list(ack.details.get("kept") or [])


async def complete_erasure(
    session: AsyncSession, deps: PrivacyContext, req: PrivacyRequest, acks: list[Acknowledgement]
) -> ErasureCertificate:
    """Mark the erasure completed, issue its certificate and keep the subject's tombstone."""
    now = deps.clock.now()
    req.status = Status.COMPLETED.value
    req.completed_at = now
    req.updated_at = now
    req.failure = None
    subject = subject_of(req)
    certified = []
    for ack in acks:
        removed, kept = _ack_details(ack)
        certified.append(
            CertifiedAck(
                service=ack.service,
                status=ack.status,
                answered_at=as_utc(ack.answered_at) if ack.answered_at else None,
                attempts=ack.attempts,
                removed=removed,
                kept=kept,
            )
        )
    record, digest = build_certificate(
        request_id=req.id,
        org_id=req.org_id,
        subject_type=subject.type,
        subject_ref_hash=subject_hash(
            deps.fingerprint_secret, subject.type, subject.id, subject.fingerprint
        ),
        requested_at=as_utc(req.created_at),
        completed_at=now,
        acks=certified,
    )
    cert = ErasureCertificate(
        request_id=req.id,
        org_id=req.org_id,
        record=record,
        digest=digest,
        signature=deps.signer.sign(record),
        issued_at=now,
    )
    session.add(cert)
    session.add(Tombstone(org_id=req.org_id, **subject.columns(), request_id=req.id, erased_at=now))
    deletion = await repo.account_deletion(session, req.org_id)
    if deletion is not None and deletion.purge_request_id == req.id:
        deletion.purged_at = now
    record_system_audit(
        session, req, at=now, action="erasure.completed", details={"certificate_digest": digest}
    )
    await announce_outcome(session, req)
    return cert


async def _forget_calls(session: AsyncSession, org_id: str, subject: SubjectRef) -> int:
    """Drop the retention index rows of every call the subject's erasure removes: the
    call itself, every call of a user or participant, every call of an organization."""
    if subject.type == "call" and not subject.id:
        return 0
    rows = await repo.retained_calls(
        session, org_id, subject.id if subject.type == "call" else None
    )
    if subject.type not in ("call", "organization"):
        labels = {subject_label(subject)}
        if subject.id and subject.fingerprint:  # named both ways: match either
            labels |= {
                f"{subject.type}|fp:{subject.fingerprint}",
                f"{subject.type}|id:{subject.id}",
            }
        rows = [r for r in rows if labels & set(r.subjects)]
    for row in rows:
        await session.delete(row)
    return len(rows)


async def start_retention_erasure(
    session: AsyncSession, deps: PrivacyContext, call: RetainedCall, *, retention_days: int
) -> PrivacyRequest | None:
    """The call is past its organization's retention: erase it through the ordinary
    fan-out, requested by ``system:retention``, with an audit entry.

    The call is claimed by deleting its index row first (a compare-and-set), so two
    scheduler replicas never start two erasures of one call; None if another did."""
    claim = delete(RetainedCall).where(
        col(RetainedCall.org_id) == call.org_id, col(RetainedCall.call_id) == call.call_id
    )
    asker = Asker(call.org_id, SubjectRef(type="call", id=call.call_id), RETENTION_ACTOR, "system")
    details = {
        "call_retention_days": retention_days,
        "uploaded_at": as_utc(call.uploaded_at).isoformat(),
    }
    return await _start_system_erasure(
        session, deps, claim, asker, action="retention.erasure_started", details=details
    )


async def _start_system_erasure(
    session: AsyncSession,
    deps: PrivacyContext,
    claim: Executable,
    asker: Asker,
    *,
    action: str,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> PrivacyRequest | None:
    """An erasure privacy starts on its own (retention, account purge), requested by a
    system actor: the ordinary fan-out and its audit entry, once. ``claim`` is the
    compare-and-set that makes it this replica's: unless it changes exactly one row,
    another replica started the erasure and this returns None."""
    claimed = await session.execute(claim)
    if (claimed.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    req = await start_erasure(session, deps, asker, request_id=request_id)
    record_audit(
        session,
        asker,
        at=deps.clock.now(),
        action=action,
        request_id=req.id,
        subject=asker.subject,
        details=details,
    )
    return req


async def start_account_purge(
    session: AsyncSession, deps: PrivacyContext, deletion: AccountDeletion
) -> PrivacyRequest | None:
    """The grace period is over: erase the organization through the ordinary fan-out.

    The purge is claimed with a compare-and-set on ``purge_request_id`` first, so two
    scheduler replicas never start two purges; None if another one already did."""
    request_id = str(uuid.uuid4())
    claim = (
        update(AccountDeletion)
        .where(
            col(AccountDeletion.org_id) == deletion.org_id,
            col(AccountDeletion.purge_request_id).is_(None),
            col(AccountDeletion.restored_at).is_(None),
        )
        .values(purge_request_id=request_id)
    )
    org = SubjectRef(type="organization", id=deletion.org_id)
    asker = Asker(deletion.org_id, org, ACCOUNT_PURGE_ACTOR, "system")
    return await _start_system_erasure(
        session, deps, claim, asker, action="account.purge_started", request_id=request_id
    )
