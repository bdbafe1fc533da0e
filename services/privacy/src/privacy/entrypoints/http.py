"""Internal HTTP API of the privacy service (reached only through the gateway).

Every route requires the signed identity (``CurrentIdentity``) and is scoped to its
organization; another organization's request ids answer 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse

from clashtor_common.certificates import DIGEST_ALGORITHM
from clashtor_common.contracts.privacy import (
    AccountStatusOut,
    CertificateKeyOut,
    CertificateOut,
    SignatureOut,
)
from clashtor_common.deps import context_dependency
from clashtor_common.errors import ApiError
from clashtor_common.identity import CurrentIdentity
from clashtor_common.pagination import InvalidCursor, Limit, decode_cursor, encode_cursor
from privacy.adapters.tables import AccountDeletion, Acknowledgement, PrivacyRequest
from privacy.context import PrivacyContext, context_of
from privacy.domain.clock import as_utc
from privacy.domain.requests import Kind, Status
from privacy.domain.subjects import is_email
from privacy.entrypoints.schemas import (
    Accepted,
    AcknowledgementOut,
    AuditOut,
    AuditPage,
    DownloadLink,
    ErasureIn,
    ExportIn,
    FlagOut,
    ObjectionIn,
    RectificationIn,
    RequestOut,
    RequestPage,
    RestrictionIn,
    RetentionIn,
    RetentionOut,
    SubjectIn,
    SubjectOut,
)
from privacy.service_layer import commands

privacy_context = context_dependency(context_of)
ContextDep = Annotated[PrivacyContext, Depends(privacy_context)]

router = APIRouter(prefix="/internal")
requests_router = APIRouter(prefix="/requests", tags=["requests"])
exports_router = APIRouter(prefix="/exports", tags=["exports"])
subjects_router = APIRouter(tags=["subject rights"])
account_router = APIRouter(prefix="/account", tags=["account"])
audit_router = APIRouter(prefix="/audit", tags=["audit"])
retention_router = APIRouter(prefix="/retention", tags=["retention"])


def _subject_input(subject: SubjectIn) -> commands.SubjectInput:
    return commands.SubjectInput(type=subject.type, id=subject.id, email=subject.email)


def _ack_out(ack: Acknowledgement) -> AcknowledgementOut:
    details = dict(ack.details)
    details["attempts"] = ack.attempts
    if ack.status == "pending":
        details["last_sent_at"] = as_utc(ack.last_sent_at).isoformat()
    return AcknowledgementOut(
        service=ack.service,
        status=ack.status,
        at=as_utc(ack.answered_at) if ack.answered_at else None,
        details=details,
    )


def _request_out(view: commands.RequestView) -> RequestOut:
    req: PrivacyRequest = view.request
    downloadable = (
        req.kind == Kind.EXPORT and req.status == Status.COMPLETED and req.object_key is not None
    )
    return RequestOut(
        id=req.id,
        kind=req.kind,
        status=req.status,
        subject=SubjectOut(type=req.subject_type, id=req.subject_id),
        requested_by=req.requested_by,
        created_at=as_utc(req.created_at),
        updated_at=as_utc(req.updated_at),
        completed_at=as_utc(req.completed_at) if req.completed_at else None,
        failure=req.failure,
        acknowledgements=[_ack_out(a) for a in view.acks],
        download_url=f"/internal/requests/{req.id}/download" if downloadable else None,
        certificate_digest=view.certificate.digest if view.certificate else None,
    )


def _accepted(req: PrivacyRequest) -> JSONResponse:
    return JSONResponse(Accepted(id=req.id).model_dump(), status_code=202)


# requests --------------------------------------------------------------------------------


@requests_router.post("/export", status_code=202, response_model=Accepted)
async def request_export(
    body: ExportIn, identity: CurrentIdentity, deps: ContextDep
) -> JSONResponse:
    req = await commands.request_export(
        deps, identity, _subject_input(body.subject), body.include_audio
    )
    return _accepted(req)


@requests_router.post("/erasure", status_code=202, response_model=Accepted)
async def request_erasure(
    body: ErasureIn, identity: CurrentIdentity, deps: ContextDep
) -> JSONResponse:
    req = await commands.request_erasure(deps, identity, _subject_input(body.subject))
    return _accepted(req)


def _encode_cursor(req: PrivacyRequest) -> str:
    return encode_cursor((as_utc(req.created_at), req.id))


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The shared cursor format; a forged one stays this API's 400 ``invalid_cursor``."""
    try:
        at, rid = decode_cursor(cursor, (datetime, str))
    except InvalidCursor as exc:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from exc
    return at, rid


@requests_router.get("", response_model=RequestPage)
async def list_requests(
    identity: CurrentIdentity,
    deps: ContextDep,
    kind: Kind | None = None,
    status: Status | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> RequestPage:
    """Privileged roles (compliance, admin, owner) see every request of the organization;
    others see the requests they made or that are about them."""
    views = await commands.list_requests(
        deps,
        identity,
        kind=kind.value if kind else None,
        status=status.value if status else None,
        limit=limit,
        before=_decode_cursor(cursor) if cursor else None,
    )
    next_cursor = _encode_cursor(views[-1].request) if len(views) == limit else None
    return RequestPage(items=[_request_out(v) for v in views], next_cursor=next_cursor)


@requests_router.get("/{request_id}", response_model=RequestOut)
async def get_request(request_id: str, identity: CurrentIdentity, deps: ContextDep) -> RequestOut:
    return _request_out(await commands.get_request(deps, identity, request_id))


@requests_router.get("/{request_id}/certificate", response_model=CertificateOut)
async def get_certificate(
    request_id: str, identity: CurrentIdentity, deps: ContextDep
) -> CertificateOut:
    """The completion record of an erasure, the SHA-256 digest over its canonical JSON and
    the service's Ed25519 signature over the same bytes."""
    cert = await commands.get_certificate(deps, identity, request_id)
    return CertificateOut(
        request_id=cert.request_id,
        algorithm=DIGEST_ALGORITHM,
        digest=cert.digest,
        record=cert.record,
        signature=SignatureOut(**cert.signature) if cert.signature else None,
    )


@router.get("/certificate-key", response_model=CertificateKeyOut, tags=["requests"])
async def certificate_key(identity: CurrentIdentity, deps: ContextDep) -> CertificateKeyOut:
    """The Ed25519 public key that verifies erasure certificates (not secret; anyone in an
    organization may fetch it to check a certificate offline)."""
    return CertificateKeyOut(**deps.signer.public_document())


@requests_router.get("/{request_id}/download", response_model=DownloadLink)
async def download_link(
    request_id: str, identity: CurrentIdentity, deps: ContextDep
) -> DownloadLink:
    url, expires_at = await commands.mint_download(deps, identity, request_id)
    return DownloadLink(url=url, expires_at=expires_at)


@exports_router.get("/{token}", response_class=StreamingResponse)
async def download_export(
    token: str, identity: CurrentIdentity, deps: ContextDep
) -> StreamingResponse:
    """The decrypted bundle (a ZIP), streamed; only for the user the link was minted for."""
    req, body = await commands.open_download(deps, identity, token)
    return StreamingResponse(
        body,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="clashtor-export-{req.id}.zip"',
            "Cache-Control": "no-store",
            **({"X-Content-SHA256": req.bundle_sha256} if req.bundle_sha256 else {}),
        },
    )


# subject rights --------------------------------------------------------------------------


@subjects_router.post("/rectification", status_code=202, response_model=Accepted)
async def rectification(
    body: RectificationIn, identity: CurrentIdentity, deps: ContextDep
) -> JSONResponse:
    changes = body.changes.model_dump(exclude_none=True)
    if "email" in changes and not is_email(changes["email"]):
        raise ApiError(422, "validation_error", "changes.email is not a valid email address")
    req = await commands.rectify(deps, identity, _subject_input(body.subject), changes)
    return _accepted(req)


def _flag_response(req: PrivacyRequest, restricted: bool, objected: bool) -> JSONResponse:
    out = FlagOut(
        id=req.id,
        subject=SubjectOut(type=req.subject_type, id=req.subject_id),
        restricted=restricted,
        objected=objected,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=202)


@subjects_router.post("/restriction", status_code=202, response_model=FlagOut)
async def restriction(
    body: RestrictionIn, identity: CurrentIdentity, deps: ContextDep
) -> JSONResponse:
    req, flags = await commands.set_flag(
        deps, identity, Kind.RESTRICTION, _subject_input(body.subject), body.restricted
    )
    return _flag_response(req, flags.restricted, flags.objected)


@subjects_router.post("/objection", status_code=202, response_model=FlagOut)
async def objection(body: ObjectionIn, identity: CurrentIdentity, deps: ContextDep) -> JSONResponse:
    req, flags = await commands.set_flag(
        deps, identity, Kind.OBJECTION, _subject_input(body.subject), body.objected
    )
    return _flag_response(req, flags.restricted, flags.objected)


# account ---------------------------------------------------------------------------------


def _account_out(org_id: str, state: str, deletion: AccountDeletion | None) -> AccountStatusOut:
    if deletion is None or state == "active":
        return AccountStatusOut(org_id=org_id, status="active")
    return AccountStatusOut(
        org_id=org_id,
        status=state,  # type: ignore[arg-type]
        deleted_at=as_utc(deletion.deleted_at),
        restorable_until=as_utc(deletion.restorable_until),
        purge_request_id=deletion.purge_request_id,
    )


@account_router.delete("", status_code=202, response_model=AccountStatusOut)
async def delete_account(identity: CurrentIdentity, deps: ContextDep) -> JSONResponse:
    """Owner only: the organization is inaccessible at once and restorable for 30 days."""
    deletion, created = await commands.delete_account(deps, identity)
    out = _account_out(identity.org_id, "deleted", deletion)
    return JSONResponse(out.model_dump(mode="json"), status_code=202 if created else 200)


@account_router.post("/restore", response_model=AccountStatusOut)
async def restore_account(identity: CurrentIdentity, deps: ContextDep) -> AccountStatusOut:
    await commands.restore_account(deps, identity)
    return AccountStatusOut(org_id=identity.org_id, status="active")


@account_router.get("/status", response_model=AccountStatusOut)
async def account_status(identity: CurrentIdentity, deps: ContextDep) -> AccountStatusOut:
    """What the gateway checks on every request: anything but ``active`` is inaccessible."""
    state, deletion = await commands.account_status(deps, identity)
    return _account_out(identity.org_id, state, deletion)


# audit and retention ---------------------------------------------------------------------


@audit_router.get("", response_model=AuditPage)
async def audit_log(
    identity: CurrentIdentity, deps: ContextDep, limit: Limit = 100, cursor: int | None = None
) -> AuditPage:
    """Who asked for what, when: ids and roles only (owners, admins, compliance)."""
    rows = await commands.audit_log(deps, identity, limit=limit, before_id=cursor)
    items = [
        AuditOut(
            id=row.id or 0,
            at=as_utc(row.at),
            actor_id=row.actor_id,
            actor_role=row.actor_role,
            action=row.action,
            request_id=row.request_id,
            subject=SubjectOut(type=row.subject_type, id=row.subject_id)
            if row.subject_type
            else None,
            details=row.details,
        )
        for row in rows
    ]
    next_cursor = str(rows[-1].id) if len(rows) == limit else None
    return AuditPage(items=items, next_cursor=next_cursor)


@retention_router.get("", response_model=RetentionOut)
async def get_retention(identity: CurrentIdentity, deps: ContextDep) -> RetentionOut:
    policy = await commands.get_retention(deps, identity)
    if policy is None:
        return RetentionOut(org_id=identity.org_id, call_retention_days=None)
    return RetentionOut(
        org_id=identity.org_id,
        call_retention_days=policy.call_retention_days,
        updated_at=as_utc(policy.updated_at),
    )


@retention_router.put("", response_model=RetentionOut)
async def put_retention(
    body: RetentionIn, identity: CurrentIdentity, deps: ContextDep
) -> RetentionOut:
    policy = await commands.set_retention(deps, identity, body.call_retention_days)
    return RetentionOut(
        org_id=identity.org_id,
        call_retention_days=policy.call_retention_days,
        updated_at=as_utc(policy.updated_at),
    )


for _sub in (
    requests_router,
    exports_router,
    subjects_router,
    account_router,
    audit_router,
    retention_router,
):
    router.include_router(_sub)
