"""The gateway's part of privacy requests: erase or export a subject's account data.

Who a subject is, here:

- ``user`` (id, or a fingerprint): that user;
- ``participant`` (fingerprint): users whose email has that keyed fingerprint;
- ``organization``: every user of the organization, and the organization itself;
- ``call`` (id): no user, but the notifications that name the call.

Erasure destroys the data keys of the users, invitations and organization it erases
first (``adapters.sealed``), then deletes users, their sessions, API keys, notifications, pending invitations
to their email and the export parts written for them, and pseudonymizes their usage
rows (the user id is dropped, the counts stay). What stays is a tombstone with ids
only, so the audit trail says what was removed without holding anything personal.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import KeptRecord, ObjectRef, Subject
from gateway.adapters.exports import ExportStore, object_key
from gateway.adapters.sealed import destroy_keys, invitation_key, organization_key
from gateway.adapters.tables import (
    ApiKey,
    AuthSession,
    ErasureTombstone,
    ExportObject,
    Invitation,
    Notification,
    Organization,
    UsageEvent,
    User,
)
from gateway.service_layer.members import delete_user_data

log = logging.getLogger(__name__)

KEPT = [
    KeptRecord(
        what="erasure tombstone (request id, subject type, erased user ids, counts)",
        why="proof that the erasure was carried out (GDPR Art. 5(2) accountability); no personal data",
    )
]


async def subject_users(session: AsyncSession, org_id: str, subject: Subject) -> list[User]:
    query = select(User).where(User.org_id == org_id)
    if subject.type == "organization":
        if subject.id not in (None, org_id):
            return []
    elif subject.type in ("user", "participant"):
        if subject.type == "user" and subject.id:
            query = query.where(User.id == subject.id)
        elif subject.fingerprint:
            query = query.where(User.email_fingerprint == subject.fingerprint)
        else:
            return []
    else:
        return []
    return list((await session.execute(query.order_by(User.id))).scalars())


def _count_add(removed: dict[str, int], name: str, result: Any) -> None:
    removed[name] = removed.get(name, 0) + (result.rowcount or 0)


async def erase(
    session: AsyncSession,
    exports: ExportStore,
    *,
    org_id: str,
    request_id: str,
    subject: Subject,
) -> tuple[list[str], dict[str, int]]:
    """Erase the subject's data held by the gateway; returns (erased user ids, counts)."""
    users = await subject_users(session, org_id, subject)
    user_ids = [u.id for u in users]
    removed: dict[str, int] = {}
    for user in users:
        for name, count in (await delete_user_data(session, user)).items():
            removed[name] = removed.get(name, 0) + count
    fingerprints = {u.email_fingerprint for u in users}
    if subject.fingerprint:
        fingerprints.add(subject.fingerprint)
    whole_org = subject.type == "organization" and subject.id in (None, org_id)
    if whole_org or fingerprints:
        invited = select(Invitation.id).where(Invitation.org_id == org_id)
        if not whole_org:
            invited = invited.where(
                Invitation.email_fingerprint.in_(fingerprints)  # type: ignore[attr-defined]
            )
        invitation_ids = list((await session.execute(invited)).scalars())
        await destroy_keys(session, [invitation_key(i) for i in invitation_ids])
        _count_add(
            removed,
            "invitations",
            await session.execute(
                delete(Invitation).where(Invitation.id.in_(invitation_ids))  # type: ignore[attr-defined]
            ),
        )
    if user_ids:
        _count_add(
            removed,
            "usage_events_pseudonymized",
            await session.execute(
                update(UsageEvent)
                .where(UsageEvent.org_id == org_id, UsageEvent.user_id.in_(user_ids))  # type: ignore[union-attr]
                .values(user_id=None)
            ),
        )
    if subject.type == "call" and subject.id:
        _count_add(
            removed,
            "notifications",
            await session.execute(
                delete(Notification).where(
                    Notification.org_id == org_id, Notification.call_id == subject.id
                )
            ),
        )
    removed["export_objects"] = await _erase_exports(session, exports, org_id, subject, user_ids)
    if whole_org:
        for kind, table in (
            ("sessions", AuthSession),
            ("api_keys", ApiKey),
            ("notifications", Notification),
            ("usage_events", UsageEvent),
        ):
            _count_add(
                removed,
                kind,
                await session.execute(delete(table).where(table.org_id == org_id)),  # type: ignore[attr-defined]
            )
        await destroy_keys(session, [organization_key(org_id)])
        _count_add(
            removed,
            "organizations",
            await session.execute(delete(Organization).where(Organization.id == org_id)),  # type: ignore[arg-type]
        )
    session.add(
        ErasureTombstone(
            org_id=org_id,
            request_id=request_id,
            subject_type=subject.type,
            user_ids=user_ids,
            removed={k: v for k, v in removed.items() if v},
        )
    )
    return user_ids, {k: v for k, v in removed.items() if v}


async def _erase_exports(
    session: AsyncSession,
    exports: ExportStore,
    org_id: str,
    subject: Subject,
    user_ids: list[str],
) -> int:
    rows = (
        await session.execute(select(ExportObject).where(ExportObject.org_id == org_id))
    ).scalars()
    count = 0
    for row in rows:
        if (subject.type == "organization" and subject.id in (None, org_id)) or (
            set(row.user_ids) & set(user_ids)
        ):
            await exports.delete(row.object_key)  # idempotent: a retry deletes nothing twice
            await session.delete(row)
            count += 1
    return count


def _user_record(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "manager_id": user.manager_id,
        "analytics_opt_out": user.analytics_opt_out,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


async def collect_export(
    session: AsyncSession, org_id: str, request_id: str, subject: Subject
) -> tuple[list[str], dict[str, Any]]:
    """The subject's account data as one export part, and whose data it is.

    The part has the shape every service's part has (``{service, request_id, subject,
    items, files}``, pinned in ``tests/contract/schemas/export-part.json``): each item
    is one ``{"kind": "user" | "organization", ...}`` record."""
    users = await subject_users(session, org_id, subject)
    user_ids = [u.id for u in users]
    items: list[dict[str, Any]] = []
    part: dict[str, Any] = {
        "service": "gateway",
        "request_id": request_id,
        "subject": subject.model_dump(mode="json"),
        "items": items,
        "files": {},
    }
    if subject.type == "organization":
        await destroy_keys(session, [organization_key(org_id)])
        org = await session.get(Organization, org_id)
        if org is not None:
            items.append(
                {
                    "kind": "organization",
                    "id": org.id,
                    "name": org.name,
                    "created_at": org.created_at,
                }
            )
    for user in users:
        sessions = await session.execute(select(AuthSession).where(AuthSession.user_id == user.id))
        keys = await session.execute(select(ApiKey).where(ApiKey.user_id == user.id))
        notes = await session.execute(select(Notification).where(Notification.user_id == user.id))
        usage = await session.execute(
            select(UsageEvent.method, UsageEvent.route, UsageEvent.status, UsageEvent.at).where(
                UsageEvent.user_id == user.id
            )
        )
        record = _user_record(user)
        record["sessions"] = [
            {"created_at": s.created_at, "expires_at": s.expires_at, "revoked_at": s.revoked_at}
            for s in sessions.scalars()
        ]
        record["api_keys"] = [
            {
                "id": k.id,
                "name": k.name,
                "prefix": k.prefix,
                "role": k.role,
                "created_at": k.created_at,
                "last_used_at": k.last_used_at,
                "revoked_at": k.revoked_at,
            }
            for k in keys.scalars()
        ]
        record["notifications"] = [
            {"kind": n.kind, "call_id": n.call_id, "data": n.data, "created_at": n.created_at}
            for n in notes.scalars()
        ]
        record["usage"] = [
            {"method": m, "route": r, "status": st, "at": at} for m, r, st, at in usage
        ]
        items.append({"kind": "user", **record})
    return user_ids, part


async def export(
    session: AsyncSession, exports: ExportStore, org_id: str, request_id: str, subject: Subject
) -> tuple[list[str], ObjectRef | None, int]:
    """Write the subject's account data, encrypted, to S3 and note the object for erasure.

    Returns whose data it is, the part's reference (None when there was nothing to
    export) and how many items it holds. A redelivered request overwrites the same object
    and notes it once."""
    user_ids, part = await collect_export(session, org_id, request_id, subject)
    items = len(part["items"])
    if not items:
        return user_ids, None, 0
    key = object_key(org_id, request_id)
    ref = await exports.put_part(key, part)
    noted = await session.execute(select(ExportObject).where(ExportObject.object_key == key))
    if noted.scalar_one_or_none() is None:
        session.add(
            ExportObject(org_id=org_id, request_id=request_id, object_key=key, user_ids=user_ids)
        )
    return user_ids, ref, items


async def apply_objection(
    session: AsyncSession, org_id: str, subject: Subject, objected: bool
) -> None:
    """An objection takes the subject's users out of usage analytics (and back in);
    objecting also drops their user id from the usage rows recorded so far."""
    users = await subject_users(session, org_id, subject)
    for user in users:
        user.analytics_opt_out = objected
    if objected and users:
        await session.execute(
            update(UsageEvent)
            .where(
                UsageEvent.org_id == org_id,
                UsageEvent.user_id.in_([u.id for u in users]),  # type: ignore[union-attr]
            )
            .values(user_id=None)
        )
