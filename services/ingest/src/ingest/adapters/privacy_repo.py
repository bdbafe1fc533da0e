"""Privacy state kept by ingest: erasure tombstones and restriction flags (ids and hashes only)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.adapters.tables import (
    CallRecord,
    ErasedCall,
    ErasedFingerprint,
    ErasedOrganization,
    ErasedUser,
    RestrictionRecord,
    utcnow,
)


async def record_erased_calls(
    session: AsyncSession, calls: Iterable[CallRecord], request_id: str
) -> None:
    for call in calls:
        if await session.get(ErasedCall, call.id) is None:
            session.add(
                ErasedCall(
                    call_id=call.id,
                    org_id=call.org_id,
                    request_id=request_id,
                    duration=call.duration,
                    uploaded_at=call.created_at,
                    source_ref=call.source_ref,
                )
            )


async def record_erased_fingerprint(
    session: AsyncSession, org_id: str, fingerprint: str, request_id: str
) -> None:
    if await session.get(ErasedFingerprint, (org_id, fingerprint)) is None:
        session.add(
            ErasedFingerprint(org_id=org_id, fingerprint=fingerprint, request_id=request_id)
        )


async def record_erased_user(
    session: AsyncSession, org_id: str, user_id: str, request_id: str
) -> None:
    if await session.get(ErasedUser, (org_id, user_id)) is None:
        session.add(ErasedUser(org_id=org_id, user_id=user_id, request_id=request_id))


async def is_erased_user(session: AsyncSession, org_id: str, user_id: str) -> bool:
    return await session.get(ErasedUser, (org_id, user_id)) is not None


async def record_erased_organization(session: AsyncSession, org_id: str, request_id: str) -> None:
    if await session.get(ErasedOrganization, org_id) is None:
        session.add(ErasedOrganization(org_id=org_id, request_id=request_id))


async def is_erased_organization(session: AsyncSession, org_id: str) -> bool:
    return await session.get(ErasedOrganization, org_id) is not None


async def is_erased_source(session: AsyncSession, org_id: str, source_ref: str) -> bool:
    """Whether a call made from ``source_ref`` in the org was erased."""
    found = await session.execute(
        select(ErasedCall.call_id)
        .where(ErasedCall.org_id == org_id, ErasedCall.source_ref == source_ref)
        .limit(1)
    )
    return found.first() is not None


async def set_restriction(
    session: AsyncSession,
    org_id: str,
    fingerprint: str,
    *,
    restricted: bool | None,
    objected: bool | None,
) -> None:
    row = await session.get(RestrictionRecord, (org_id, fingerprint))
    if row is None:
        row = RestrictionRecord(org_id=org_id, fingerprint=fingerprint)
    if restricted is not None:
        row.restricted = restricted
    if objected is not None:
        row.objected = objected
    row.updated_at = utcnow()
    session.add(row)


async def any_restricted(session: AsyncSession, org_id: str, fingerprints: Iterable[str]) -> bool:
    wanted = sorted(set(fingerprints))
    if not wanted:
        return False
    found = await session.execute(
        select(RestrictionRecord.fingerprint).where(
            RestrictionRecord.org_id == org_id,
            RestrictionRecord.fingerprint.in_(wanted),
            RestrictionRecord.restricted.is_(True),
        )
    )
    return found.first() is not None
