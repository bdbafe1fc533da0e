"""The use cases callers ask for: check who asks, then run a workflow.

Each command opens one transaction; errors are domain errors a client can act on
(``NotFound`` for another organization's ids, ``Forbidden`` for what the caller may
not do, ``Conflict`` for a state that does not allow it); the HTTP entry point maps
them to statuses.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.crypto import fingerprint
from clashtor_common.domain_errors import Conflict, Gone, InvalidInput, NotFound
from clashtor_common.events import SubjectRectified, SubjectRestricted
from clashtor_common.identity import Identity
from clashtor_common.s3 import ObjectNotFound
from privacy.adapters import repository as repo
from privacy.adapters import tokens
from privacy.adapters.tables import (
    AccountDeletion,
    Acknowledgement,
    AuditEntry,
    ErasureCertificate,
    PrivacyRequest,
    RetentionPolicy,
    SubjectFlags,
)
from privacy.context import PrivacyContext
from privacy.domain.access import (
    Forbidden,
    authorize_request,
    is_privileged,
    may_read_audit,
    may_read_request,
)
from privacy.domain.clock import as_utc
from privacy.domain.requests import Kind, Status
from privacy.domain.subjects import (
    ForeignSubject,
    InvalidSubject,
    SubjectInput,
    SubjectRef,
    normalize_subject,
)
from privacy.service_layer.erasure import start_erasure
from privacy.service_layer.export import start_export
from privacy.service_layer.records import (
    Asker,
    emit_event,
    new_request,
    record_audit,
    subject_of,
)


def resolve_subject(deps: PrivacyContext, identity: Identity, raw: SubjectInput) -> SubjectRef:
    """Validate the subject; an email becomes a fingerprint here and goes no further."""
    try:
        return normalize_subject(
            raw, org_id=identity.org_id, fingerprint_secret=deps.fingerprint_secret
        )
    except InvalidSubject as exc:
        raise InvalidInput(str(exc), "invalid_subject") from exc
    except ForeignSubject as exc:
        raise NotFound.of("organization", str(exc)) from exc


def _authorize(identity: Identity, kind: Kind, subject: SubjectRef) -> None:
    authorize_request(identity, kind.value, subject)


# account state ---------------------------------------------------------------------------


def account_state(deletion: AccountDeletion | None) -> str:
    if deletion is None or deletion.restored_at is not None:
        return "active"
    if deletion.purged_at is not None:
        return "purged"
    if deletion.purge_request_id is not None:
        return "purging"
    return "deleted"


async def ensure_active(session: AsyncSession, identity: Identity) -> None:
    """A deleted organization is inaccessible at once, here too (not only at the gateway)."""
    deletion = await repo.account_deletion(session, identity.org_id)
    state = account_state(deletion)
    if state == "active":
        return
    assert deletion is not None
    if state == "deleted":
        until = as_utc(deletion.restorable_until).isoformat()
        raise Forbidden(
            f"organization {identity.org_id} is deleted; its owner may restore it until {until}",
            "account_deleted",
        )
    raise Forbidden(f"organization {identity.org_id} is being erased", "account_deleted")


# requests --------------------------------------------------------------------------------


async def request_erasure(
    deps: PrivacyContext, identity: Identity, raw: SubjectInput
) -> PrivacyRequest:
    return await _request(deps, identity, raw, Kind.ERASURE, start_erasure)


async def request_export(
    deps: PrivacyContext, identity: Identity, raw: SubjectInput, include_audio: bool
) -> PrivacyRequest:
    start = functools.partial(start_export, include_audio=include_audio)
    return await _request(deps, identity, raw, Kind.EXPORT, start, {"include_audio": include_audio})


async def _request(
    deps: PrivacyContext,
    identity: Identity,
    raw: SubjectInput,
    kind: Kind,
    start: Callable[..., Awaitable[PrivacyRequest]],
    details: dict[str, Any] | None = None,
) -> PrivacyRequest:
    """Check the subject and the caller, then start the workflow and audit the request."""
    subject = resolve_subject(deps, identity, raw)
    _authorize(identity, kind, subject)
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        req = await start(session, deps, _asker(identity, subject))
        _audit(session, deps, identity, f"{kind.value}.requested", req, subject, details)
    return req


@dataclass
class RequestView:
    request: PrivacyRequest
    acks: list[Acknowledgement]
    certificate: ErasureCertificate | None


async def _visible_request(
    session: AsyncSession, identity: Identity, request_id: str
) -> PrivacyRequest:
    req = await repo.get_request(session, identity.org_id, request_id)
    if req is None or not may_read_request(
        identity, requested_by=req.requested_by, subject=subject_of(req)
    ):
        raise NotFound.of("request", request_id)
    return req


async def get_request(deps: PrivacyContext, identity: Identity, request_id: str) -> RequestView:
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        req = await _visible_request(session, identity, request_id)
        acks = await repo.acknowledgements(session, req.id)
        cert = await repo.certificate(session, req.id)
    return RequestView(req, acks, cert)


async def list_requests(
    deps: PrivacyContext,
    identity: Identity,
    *,
    kind: str | None,
    status: str | None,
    limit: int,
    before: tuple[datetime, str] | None,
) -> list[RequestView]:
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        rows = await repo.list_requests(
            session,
            identity.org_id,
            only_user=None if is_privileged(identity) else identity.user_id,
            kind=kind,
            status=status,
            limit=limit,
            before=before,
        )
        acks = await repo.acknowledgements_for(session, [r.id for r in rows])
    return [RequestView(r, acks[r.id], None) for r in rows]


async def get_certificate(
    deps: PrivacyContext, identity: Identity, request_id: str
) -> ErasureCertificate:
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        req = await _visible_request(session, identity, request_id)
        cert = await repo.certificate(session, req.id)
    if cert is None:
        raise Conflict(
            f"request {request_id} has no certificate (status {req.status})", "not_completed"
        )
    return cert


# export downloads ------------------------------------------------------------------------


async def mint_download(
    deps: PrivacyContext, identity: Identity, request_id: str
) -> tuple[str, datetime]:
    """A short-lived link to the bundle, for the user who asked for the export only."""
    now = deps.clock.now()
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        req = await _visible_request(session, identity, request_id)
        _check_downloadable(req, identity)
        ttl = deps.settings.download_link_ttl_seconds
        token = tokens.mint(
            tokens.DownloadGrant(req.id, identity.org_id, identity.user_id),
            deps.settings.download_secret.get_secret_value(),
            now=now,
            ttl_seconds=ttl,
        )
        _audit(session, deps, identity, "export.download_link", req, subject_of(req))
    return f"/internal/exports/{token}", now + timedelta(seconds=ttl)


def _check_downloadable(req: PrivacyRequest, identity: Identity) -> None:
    if req.kind != Kind.EXPORT:
        raise Conflict(f"request {req.id} is a {req.kind} request", "not_an_export")
    if req.requested_by != identity.user_id:
        raise Forbidden("only the user who requested the export may download it")
    if req.status != Status.COMPLETED:
        raise Conflict(f"export {req.id} is {req.status}", "export_not_ready")
    if req.object_key is None:
        raise Gone(f"export {req.id} was deleted; request a new one", "export_expired")


async def open_download(
    deps: PrivacyContext, identity: Identity, token: str
) -> tuple[PrivacyRequest, AsyncIterator[bytes]]:
    try:
        grant = tokens.verify(
            token, deps.settings.download_secret.get_secret_value(), now=deps.clock.now()
        )
    except tokens.InvalidToken as exc:
        raise Forbidden(str(exc), "invalid_download_link") from exc
    if (grant.org_id, grant.user_id) != (identity.org_id, identity.user_id):
        raise Forbidden("this download link was issued to another user")
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        req = await _visible_request(session, identity, grant.request_id)
        _check_downloadable(req, identity)
        _audit(session, deps, identity, "export.downloaded", req, subject_of(req))
    assert req.object_key is not None
    stream = deps.objects.read_stream(req.object_key)
    try:
        first = await anext(stream)
    except ObjectNotFound as exc:
        raise Gone(f"export {req.id} was deleted", "export_expired") from exc

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for piece in stream:
            yield piece

    return req, body()


# rectification, restriction, objection -------------------------------------------------


def _asker(identity: Identity, subject: SubjectRef) -> Asker:
    return Asker(identity.org_id, subject, identity.user_id, identity.role)


def _done_at_once(
    identity: Identity, kind: Kind, subject: SubjectRef, now: datetime
) -> PrivacyRequest:
    """The record of a request that is carried out as it is made (nothing to wait for)."""
    req = new_request(_asker(identity, subject), kind=kind, status=Status.COMPLETED, now=now)
    req.completed_at = now
    return req


async def rectify(
    deps: PrivacyContext, identity: Identity, raw: SubjectInput, changes: dict[str, str]
) -> PrivacyRequest:
    """Store the new values as an encrypted claim check and tell every service."""
    subject = resolve_subject(deps, identity, raw)
    if subject.type not in ("user", "participant"):
        raise InvalidInput("only a user or a participant can be rectified", "invalid_subject")
    _authorize(identity, Kind.RECTIFICATION, subject)
    now = deps.clock.now()
    req = _done_at_once(identity, Kind.RECTIFICATION, subject, now)
    document: dict[str, Any] = {
        "request_id": req.id,
        "subject": subject.to_event().model_dump(mode="json"),
        "changes": changes,
    }
    if "email" in changes:
        document["email_fingerprint"] = fingerprint(deps.fingerprint_secret, changes["email"])
    key = f"rectifications/{identity.org_id}/{req.id}.json"
    req.object_key = key
    async with deps.db.session() as session:
        await ensure_active(session, identity)
    await deps.objects.put_record(key, json.dumps(document).encode())
    try:
        async with deps.db.session() as session:
            session.add(req)
            await session.flush()
            await emit_event(
                session,
                SubjectRectified(
                    request_id=req.id,
                    subject=subject.to_event(),
                    changes=deps.objects.store.ref(key),
                ),
                identity.org_id,
                subject,
            )
            _audit(
                session,
                deps,
                identity,
                "rectification.requested",
                req,
                subject,
                {"fields": sorted(changes)},
            )
    except BaseException:
        await deps.objects.delete(key)
        raise
    return req


async def set_flag(
    deps: PrivacyContext, identity: Identity, kind: Kind, raw: SubjectInput, value: bool
) -> tuple[PrivacyRequest, SubjectFlags]:
    """Restriction (``restricted``) or objection (``objected``) for one subject."""
    subject = resolve_subject(deps, identity, raw)
    allowed = (
        ("user", "participant", "call") if kind == Kind.RESTRICTION else ("user", "participant")
    )
    if subject.type not in allowed:
        raise InvalidInput(
            f"{kind.value} applies to subjects of type {', '.join(allowed)}", "invalid_subject"
        )
    _authorize(identity, kind, subject)
    now = deps.clock.now()
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        flags = await repo.subject_flags(session, identity.org_id, subject.type, subject.key)
        if flags is None:
            flags = SubjectFlags(org_id=identity.org_id, **subject.columns(), updated_at=now)
            session.add(flags)
        if kind == Kind.RESTRICTION:
            flags.restricted = value
        else:
            flags.objected = value
        flags.updated_at = now
        req = _done_at_once(identity, kind, subject, now)
        session.add(req)
        await session.flush()
        payload = SubjectRestricted(
            request_id=req.id,
            subject=subject.to_event(),
            restricted=value if kind == Kind.RESTRICTION else None,
            objected=value if kind == Kind.OBJECTION else None,
        )
        await emit_event(session, payload, identity.org_id, subject)
        action = "restriction.set" if kind == Kind.RESTRICTION else "objection.set"
        _audit(session, deps, identity, action, req, subject, {"value": value})
    return req, flags


# account deletion ------------------------------------------------------------------------


def _owner_only(identity: Identity, what: str) -> None:
    if identity.role != "owner":
        raise Forbidden(f"only the organization's owner may {what}")


@asynccontextmanager
async def _account_change(
    deps: PrivacyContext, identity: Identity, what: str
) -> AsyncIterator[tuple[AsyncSession, AccountDeletion | None]]:
    """The owner's unit of work on the organization's deletion record (None: never deleted)."""
    _owner_only(identity, what)
    async with deps.db.session() as session:
        yield session, await repo.account_deletion(session, identity.org_id)


async def delete_account(deps: PrivacyContext, identity: Identity) -> tuple[AccountDeletion, bool]:
    """Mark the organization deleted now, restorable for ``account_grace_days``.

    Returns the deletion and whether it was new (a repeated DELETE changes nothing)."""
    now = deps.clock.now()
    async with _account_change(deps, identity, "delete the account") as (session, deletion):
        state = account_state(deletion)
        if state == "deleted":
            assert deletion is not None
            return deletion, False
        if state in ("purging", "purged"):
            raise Conflict(f"organization {identity.org_id} is erased", "account_erased")
        until = now + timedelta(days=deps.settings.account_grace_days)
        if deletion is None:
            deletion = AccountDeletion(
                org_id=identity.org_id,
                deleted_at=now,
                deleted_by=identity.user_id,
                restorable_until=until,
            )
            session.add(deletion)
        else:  # deleted before, then restored: a new grace period starts now
            deletion.deleted_at = now
            deletion.deleted_by = identity.user_id
            deletion.restorable_until = until
            deletion.restored_at = None
        _audit(
            session,
            deps,
            identity,
            "account.deleted",
            None,
            None,
            {"restorable_until": until.isoformat()},
        )
    return deletion, True


async def restore_account(deps: PrivacyContext, identity: Identity) -> AccountDeletion:
    now = deps.clock.now()
    async with _account_change(deps, identity, "restore the account") as (session, deletion):
        state = account_state(deletion)
        if state == "active":
            raise Conflict(f"organization {identity.org_id} is not deleted", "not_deleted")
        assert deletion is not None
        if state != "deleted" or now >= as_utc(deletion.restorable_until):
            raise Conflict(
                f"organization {identity.org_id} can no longer be restored: "
                f"the {deps.settings.account_grace_days}-day window is over",
                "restore_window_closed",
            )
        deletion.restored_at = now
        _audit(session, deps, identity, "account.restored", None, None, {})
    return deletion


async def account_status(
    deps: PrivacyContext, identity: Identity
) -> tuple[str, AccountDeletion | None]:
    async with deps.db.session() as session:
        deletion = await repo.account_deletion(session, identity.org_id)
    return account_state(deletion), deletion


# retention and audit ---------------------------------------------------------------------


def _compliance_only(identity: Identity, what: str) -> None:
    if not may_read_audit(identity):
        raise Forbidden(f"only owners, admins and compliance may {what}")


async def get_retention(deps: PrivacyContext, identity: Identity) -> RetentionPolicy | None:
    _compliance_only(identity, "read the retention schedule")
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        return await session.get(RetentionPolicy, identity.org_id)


async def set_retention(
    deps: PrivacyContext, identity: Identity, days: int | None
) -> RetentionPolicy:
    _compliance_only(identity, "change the retention schedule")
    now = deps.clock.now()
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        policy = await session.get(RetentionPolicy, identity.org_id)
        if policy is None:
            policy = RetentionPolicy(org_id=identity.org_id, updated_at=now, updated_by="")
            session.add(policy)
        policy.call_retention_days = days
        policy.updated_at = now
        policy.updated_by = identity.user_id
        _audit(
            session, deps, identity, "retention.updated", None, None, {"call_retention_days": days}
        )
    return policy


async def audit_log(
    deps: PrivacyContext, identity: Identity, *, limit: int, before_id: int | None
) -> list[AuditEntry]:
    _compliance_only(identity, "read the audit log")
    async with deps.db.session() as session:
        await ensure_active(session, identity)
        return await repo.audit_entries(session, identity.org_id, limit=limit, before_id=before_id)


def _audit(
    session: AsyncSession,
    deps: PrivacyContext,
    identity: Identity,
    action: str,
    req: PrivacyRequest | None,
    subject: SubjectRef | None,
    details: dict[str, Any] | None = None,
) -> None:
    record_audit(
        session,
        identity,
        at=deps.clock.now(),
        action=action,
        request_id=req.id if req else None,
        subject=subject,
        details=details,
    )
