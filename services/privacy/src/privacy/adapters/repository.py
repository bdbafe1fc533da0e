"""Queries of the privacy service. Every read is scoped by organization."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from clashtor_common.pagination import after_key
from privacy.adapters.tables import (
    AccountDeletion,
    Acknowledgement,
    AuditEntry,
    ErasureCertificate,
    PrivacyRequest,
    RetainedCall,
    RetentionPolicy,
    SubjectFlags,
    Tombstone,
)
from privacy.domain.requests import AckStatus, Kind, Status

T = TypeVar("T")
OPEN = [Status.PENDING, Status.IN_PROGRESS]


async def _all(session: AsyncSession, query: SelectOfScalar[T]) -> list[T]:
    return list((await session.execute(query)).scalars().all())


def _about(model: Any, org_id: str, subject_type: str, subject_key: str) -> tuple[Any, ...]:
    """Conditions picking ``model``'s rows about one subject of the organization."""
    return (
        model.org_id == org_id,
        model.subject_type == subject_type,
        model.subject_key == subject_key,
    )


async def get_request(session: AsyncSession, org_id: str, request_id: str) -> PrivacyRequest | None:
    row = await session.get(PrivacyRequest, request_id)
    return row if row is not None and row.org_id == org_id else None


async def acknowledgements(session: AsyncSession, request_id: str) -> list[Acknowledgement]:
    query = select(Acknowledgement).where(Acknowledgement.request_id == request_id)
    return await _all(session, query.order_by(col(Acknowledgement.service)))


async def acknowledgements_for(
    session: AsyncSession, request_ids: Sequence[str]
) -> dict[str, list[Acknowledgement]]:
    out: dict[str, list[Acknowledgement]] = {rid: [] for rid in request_ids}
    if not request_ids:
        return out
    rows = await session.execute(
        select(Acknowledgement)
        .where(col(Acknowledgement.request_id).in_(list(request_ids)))
        .order_by(col(Acknowledgement.service))
    )
    for ack in rows.scalars().all():
        out[ack.request_id].append(ack)
    return out


async def list_requests(
    session: AsyncSession,
    org_id: str,
    *,
    only_user: str | None,
    kind: str | None,
    status: str | None,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[PrivacyRequest]:
    query = select(PrivacyRequest).where(PrivacyRequest.org_id == org_id)
    if only_user is not None:
        query = query.where(
            or_(
                col(PrivacyRequest.requested_by) == only_user,
                and_(
                    col(PrivacyRequest.subject_type) == "user",
                    col(PrivacyRequest.subject_key) == f"id:{only_user}",
                ),
            )
        )
    if kind:
        query = query.where(PrivacyRequest.kind == kind)
    if status:
        query = query.where(PrivacyRequest.status == status)
    order = (col(PrivacyRequest.created_at), col(PrivacyRequest.id))
    if before is not None:
        query = query.where(after_key(order, before, descending=True))
    query = query.order_by(*(c.desc() for c in order))
    return await _all(session, query.limit(limit))


async def requests_about(
    session: AsyncSession, org_id: str, subject_type: str, subject_key: str
) -> list[PrivacyRequest]:
    query = select(PrivacyRequest).where(*_about(PrivacyRequest, org_id, subject_type, subject_key))
    return await _all(session, query.order_by(col(PrivacyRequest.created_at)))


async def objects_to_erase(session: AsyncSession, org_id: str) -> list[PrivacyRequest]:
    """Requests of the organization that still hold an S3 object (claim check or bundle)."""
    query = select(PrivacyRequest).where(
        PrivacyRequest.org_id == org_id, col(PrivacyRequest.object_key).is_not(None)
    )
    return await _all(session, query)


async def certificate(session: AsyncSession, request_id: str) -> ErasureCertificate | None:
    return await session.get(ErasureCertificate, request_id)


async def subject_flags(
    session: AsyncSession, org_id: str, subject_type: str, subject_key: str
) -> SubjectFlags | None:
    query = select(SubjectFlags).where(*_about(SubjectFlags, org_id, subject_type, subject_key))
    return (await session.execute(query)).scalars().first()


async def account_deletion(session: AsyncSession, org_id: str) -> AccountDeletion | None:
    return await session.get(AccountDeletion, org_id)


async def audit_entries(
    session: AsyncSession, org_id: str, *, limit: int, before_id: int | None
) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    return await _all(session, query.order_by(col(AuditEntry.id).desc()).limit(limit))


# scheduler queries ----------------------------------------------------------------------


async def lagging_erasure_acks(
    session: AsyncSession, sent_before: datetime, limit: int = 500
) -> list[tuple[Acknowledgement, PrivacyRequest]]:
    """Unanswered (or failed) acknowledgements of erasures, last sent before ``sent_before``."""
    rows = await session.execute(
        select(Acknowledgement, PrivacyRequest)
        .join(PrivacyRequest, col(PrivacyRequest.id) == col(Acknowledgement.request_id))
        .where(
            PrivacyRequest.kind == Kind.ERASURE,
            col(PrivacyRequest.status).in_(OPEN),
            Acknowledgement.status != AckStatus.COMPLETED,
            col(Acknowledgement.last_sent_at) <= sent_before,
        )
        .order_by(col(Acknowledgement.last_sent_at))
        .limit(limit)
    )
    return [(ack, req) for ack, req in rows.tuples().all()]


async def claim_resend(
    session: AsyncSession, ack_id: int, seen_attempts: int, now: datetime
) -> bool:
    """Compare-and-set the next attempt, so two schedulers never re-send the same one."""
    result = await session.execute(
        update(Acknowledgement)
        .where(
            col(Acknowledgement.id) == ack_id,
            col(Acknowledgement.attempts) == seen_attempts,
            col(Acknowledgement.status) != AckStatus.COMPLETED,
        )
        .values(attempts=seen_attempts + 1, last_sent_at=now)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def _exports(session: AsyncSession, *where: Any, limit: int) -> list[PrivacyRequest]:
    query = select(PrivacyRequest).where(PrivacyRequest.kind == Kind.EXPORT, *where)
    return await _all(session, query.limit(limit))


async def overdue_exports(
    session: AsyncSession, created_before: datetime, limit: int = 500
) -> list[PrivacyRequest]:
    return await _exports(
        session,
        col(PrivacyRequest.status).in_(OPEN),
        col(PrivacyRequest.created_at) <= created_before,
        limit=limit,
    )


async def expired_bundles(
    session: AsyncSession, completed_before: datetime, limit: int = 500
) -> list[PrivacyRequest]:
    return await _exports(
        session,
        col(PrivacyRequest.object_key).is_not(None),
        col(PrivacyRequest.completed_at) <= completed_before,
        limit=limit,
    )


async def accounts_due_for_purge(
    session: AsyncSession, now: datetime, limit: int = 100
) -> list[AccountDeletion]:
    query = select(AccountDeletion).where(
        col(AccountDeletion.restored_at).is_(None),
        col(AccountDeletion.purge_request_id).is_(None),
        col(AccountDeletion.restorable_until) <= now,
    )
    return await _all(session, query.limit(limit))


# retention ---------------------------------------------------------------------------------


async def is_erased(
    session: AsyncSession, org_id: str, subject_type: str, subject_key: str
) -> bool:
    query = select(Tombstone.id).where(*_about(Tombstone, org_id, subject_type, subject_key))
    return (await session.execute(query)).first() is not None


async def retention_policies(session: AsyncSession) -> list[RetentionPolicy]:
    query = select(RetentionPolicy).where(col(RetentionPolicy.call_retention_days).is_not(None))
    return await _all(session, query)


async def calls_uploaded_before(
    session: AsyncSession, org_id: str, cutoff: datetime, limit: int = 500
) -> list[RetainedCall]:
    query = select(RetainedCall).where(
        RetainedCall.org_id == org_id, col(RetainedCall.uploaded_at) < cutoff
    )
    return await _all(session, query.order_by(col(RetainedCall.uploaded_at)).limit(limit))


async def retained_calls(
    session: AsyncSession, org_id: str, call_id: str | None = None
) -> list[RetainedCall]:
    """The organization's retention index rows, or the one of ``call_id``."""
    query = select(RetainedCall).where(col(RetainedCall.org_id) == org_id)
    if call_id is not None:
        query = query.where(col(RetainedCall.call_id) == call_id)
    return await _all(session, query)


async def delete_org_settings(session: AsyncSession, org_id: str) -> dict[str, int]:
    """Delete the organization's subject flags and retention policy; how many rows of each."""
    flags = await session.execute(delete(SubjectFlags).where(col(SubjectFlags.org_id) == org_id))
    policy = await session.execute(
        delete(RetentionPolicy).where(col(RetentionPolicy.org_id) == org_id)
    )
    return {
        "subject_flags": flags.rowcount or 0,  # type: ignore[attr-defined]
        "retention_policies": policy.rowcount or 0,  # type: ignore[attr-defined]
    }


async def restricted_labels(session: AsyncSession, org_id: str) -> set[str]:
    """``type|key`` of every restricted subject of the organization."""
    rows = await session.execute(
        select(SubjectFlags.subject_type, SubjectFlags.subject_key).where(
            SubjectFlags.org_id == org_id, col(SubjectFlags.restricted).is_(True)
        )
    )
    return {f"{t}|{k}" for t, k in rows.all()}
