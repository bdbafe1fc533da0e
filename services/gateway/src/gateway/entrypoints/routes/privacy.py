"""``/v1/privacy`` and ``/v1/account``: data-subject requests, owned by the privacy service.

Anyone may make a request about themselves (their own user id: never an email, which
proves nothing); a rep may name a participant of a call they see (not for an export);
anything else needs ``privacy.manage`` (owners, admins, compliance). No erasure may
take an organization's last owner (409 ``last_owner``). Subjects the
gateway owns are checked here too: another organization's user or organization, or a
call the caller cannot see, answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from clashtor_common.contracts.privacy import AccountStatusOut, CertificateKeyOut, CertificateOut
from clashtor_common.errors import ApiError, not_found
from clashtor_common.identity import Identity
from clashtor_common.pagination import Paging
from gateway.adapters.account_status import AccountStatus
from gateway.adapters.services import json_body
from gateway.adapters.tables import User
from gateway.context import Gateway
from gateway.domain.credentials import normalize_email
from gateway.domain.permissions import Action, Role, is_allowed
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, check_allowed, require
from gateway.entrypoints.proxy import stream_through
from gateway.entrypoints.routes.calls import visible_call
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    AcceptedOut,
    CallSubject,
    ExportIn,
    ObjectionIn,
    OrganizationSubject,
    ParticipantSubject,
    PrivacyRequestIn,
    PrivacyRequestOut,
    PrivacyRequestPage,
    RestrictionIn,
    SubjectFlagsOut,
    SubjectIn,
    UserSubject,
)
from gateway.entrypoints.views import forward, passthrough, with_location
from gateway.service_layer import profile
from gateway.service_layer.auth import check_rate, count_owners, email_fingerprint

router = APIRouter(prefix="/v1/privacy", tags=["privacy"], responses=COMMON_ERRORS)
account = APIRouter(prefix="/v1/account", tags=["account"], responses=COMMON_ERRORS)
_ACCEPTED = {202: {"model": AcceptedOut, "description": "accepted"}}


@dataclass(frozen=True)
class AuthorizedSubject:
    """A subject the caller may ask about, as privacy should receive it."""

    subject: dict[str, Any]
    vouched: bool
    """True when the gateway, not privacy, decided the caller may ask (a rep about a
    participant of a call the rep sees): privacy has no calls to check this against,
    so the gateway vouches with the ``system`` role and the caller's user id."""

    def identity(self, principal: Principal) -> Identity:
        return principal.vouched_identity() if self.vouched else principal.identity()


_SPANS_ORG = (
    "a participant's export holds every call of theirs in the organization, not only "
    "the ones you see; ask someone with the compliance or admin role"
)
PARTICIPANT_SCAN_PAGES = 20
"""How many pages of a rep's visible calls are searched for a participant (1000 each)."""


async def participant_visible(gw: Gateway, principal: Principal, email: str) -> bool:
    """Whether ``email`` took part in a call the caller may see: the calls ingest lists
    for the caller's own identity are exactly those (``clashtor_common.identity``)."""
    wanted = normalize_email(email)
    cursor: str | None = None
    for _ in range(PARTICIPANT_SCAN_PAGES):
        _, page = await gw.services.call_json(
            "ingest",
            "GET",
            "/internal/calls",
            identity=principal.identity(),
            params={"limit": 1000, "q": wanted, **({"cursor": cursor} if cursor else {})},
        )
        items = page.get("items", []) if isinstance(page, dict) else []
        for call in items:
            for person in call.get("participants") or []:
                if normalize_email(str(person.get("email") or "")) == wanted:
                    return True
        cursor = page.get("next_cursor") if isinstance(page, dict) else None
        if not cursor:
            return False
    return False


async def _users_named(gw: Gateway, principal: Principal, subject: SubjectIn) -> list[User]:
    """The organization's users a user or participant subject would reach."""
    async with gw.db.session() as session:
        if subject.id and isinstance(subject, UserSubject):
            user = await session.get(User, subject.id)
            return [user] if user is not None and user.org_id == principal.org_id else []
        if isinstance(subject, UserSubject | ParticipantSubject) and subject.email:
            rows = await session.execute(
                select(User).where(
                    User.org_id == principal.org_id,
                    User.email_fingerprint == email_fingerprint(gw, normalize_email(subject.email)),
                )
            )
            return list(rows.scalars())
    return []


async def _keep_an_owner(gw: Gateway, principal: Principal, users: list[User]) -> None:
    """409 ``last_owner`` when erasing these users would leave the organization ownerless."""
    owners = {u.id for u in users if u.role == Role.OWNER.value}
    if not owners:
        return
    async with gw.db.session() as session:
        remaining = await count_owners(session, principal.org_id) - len(owners)
    if remaining < 1:
        raise ApiError(
            409,
            "last_owner",
            "this would erase the organization's last owner: make another member owner "
            "first, or delete the whole account with DELETE /v1/account",
        )


async def authorize_subject(
    gw: Gateway, principal: Principal, subject: SubjectIn, kind: str
) -> AuthorizedSubject:
    """Check who may make a ``kind`` request about ``subject``; the subject to forward.

    "Yourself" is your user id, never an email: an email proves nothing about who
    holds it. A participant is reachable by a rep only if they took part in a call the
    rep may see (the rule of ``clashtor_common.identity``), and not for an export, which
    spans the whole organization. Anything broader needs ``privacy.manage``."""
    manager = is_allowed(principal.role, Action.PRIVACY_MANAGE)
    out = subject.model_dump(exclude_none=True)
    vouched = False
    if (
        isinstance(subject, UserSubject)
        and not subject.email
        and subject.id
        in (
            None,
            principal.user_id,
        )
    ):
        out = {"type": "user", "id": principal.user_id}  # privacy knows this as "self"
    elif isinstance(subject, ParticipantSubject) and not manager:
        if kind == "export":
            raise ApiError(403, "forbidden", _SPANS_ORG)
        if not subject.email or subject.id:
            check_allowed(principal, Action.PRIVACY_MANAGE)
        if not await participant_visible(gw, principal, str(subject.email)):
            raise not_found("participant", str(subject.email))
        vouched = True
    else:
        check_allowed(principal, Action.PRIVACY_MANAGE)
    if isinstance(subject, UserSubject) and subject.id and out.get("id") != principal.user_id:
        if not await _users_named(gw, principal, subject):
            raise not_found("user", subject.id)
    elif isinstance(subject, OrganizationSubject):
        if subject.id not in (None, principal.org_id):
            raise not_found("organization", subject.id)
        out["id"] = principal.org_id
    elif isinstance(subject, CallSubject):
        await visible_call(gw, principal, subject.id)
    if kind == "erasure":
        if out == {"type": "user", "id": principal.user_id}:
            me, _, _ = await profile.load_me(gw, principal)
            await _keep_an_owner(gw, principal, [me])
        else:
            await _keep_an_owner(gw, principal, await _users_named(gw, principal, subject))
    return AuthorizedSubject(out, vouched=vouched)


RATE_ACTIONS = {
    "/internal/requests/export": "export",
    "/internal/requests/erasure": "erasure",
    "/internal/restriction": "restriction",
}


async def _forward_request(
    gw: Gateway, principal: Principal, path: str, body: PrivacyRequestIn
) -> Response:
    payload = body.model_dump(exclude_none=True)
    kind = RATE_ACTIONS.get(path, "objection")
    authorized = await authorize_subject(gw, principal, body.subject, kind)
    if kind in RATE_ACTIONS.values():
        await check_rate(gw, kind, f"user:{principal.user_id}", f"org:{principal.org_id}")
    payload["subject"] = authorized.subject
    status, out = await gw.services.call_json(
        "privacy", "POST", path, identity=authorized.identity(principal), json=payload
    )
    return passthrough(status, out)


Anyone = Annotated[Principal, Depends(require(Action.PRIVACY_SELF_SERVICE))]
REQUEST_URL = "/v1/privacy/requests/{id}"


@router.post("/export", status_code=202, response_model=None, responses=_ACCEPTED)
async def request_export(body: ExportIn, principal: Anyone, gw: GatewayDep) -> Response:
    """Everything held about the subject, as a downloadable bundle (right of access)."""
    response = await _forward_request(gw, principal, "/internal/requests/export", body)
    return with_location(response, REQUEST_URL)


@router.post("/erasure", status_code=202, response_model=None, responses=_ACCEPTED)
async def request_erasure(body: PrivacyRequestIn, principal: Anyone, gw: GatewayDep) -> Response:
    """Erase the subject everywhere, for good (right to erasure)."""
    response = await _forward_request(gw, principal, "/internal/requests/erasure", body)
    return with_location(response, REQUEST_URL)


@router.post("/restriction", status_code=202, response_model=SubjectFlagsOut)
async def restrict(body: RestrictionIn, principal: Anyone, gw: GatewayDep) -> Response:
    """Keep the subject's data but stop processing it (or lift that)."""
    response = await _forward_request(gw, principal, "/internal/restriction", body)
    return with_location(response, REQUEST_URL)


@router.post("/objection", status_code=202, response_model=SubjectFlagsOut)
async def object_to_processing(body: ObjectionIn, principal: Anyone, gw: GatewayDep) -> Response:
    """Leave the subject out of analytics (or take them back in)."""
    response = await _forward_request(gw, principal, "/internal/objection", body)
    return with_location(response, REQUEST_URL)


@router.get("/requests", response_model=None, responses={200: {"model": PrivacyRequestPage}})
async def list_requests(principal: Anyone, gw: GatewayDep, page: Paging) -> Response:
    """Newest first. With ``privacy.manage`` every request of the organization; anyone
    else sees the requests they made or that are about them (privacy scopes the rows by
    the signed identity). No download link here: read the request itself for a fresh one."""
    status, out = await gw.services.call_json(
        "privacy",
        "GET",
        "/internal/requests",
        identity=principal.identity(),
        params=page.params(),
    )
    if isinstance(out, dict):
        for item in out.get("items") or []:
            if isinstance(item, dict):  # privacy's link is internal; only the detail mints one
                item["download_url"] = None
    return passthrough(status, out)


@router.get(
    "/requests/{request_id}", response_model=None, responses={200: {"model": PrivacyRequestOut}}
)
async def get_request(
    request_id: Annotated[str, Path(min_length=1, max_length=100)],
    principal: Anyone,
    gw: GatewayDep,
) -> Response:
    """Progress of a request, with each service's acknowledgement. Without
    ``privacy.manage`` you see only requests you made yourself. A completed export shows
    its requester a ``download_url`` (``/v1/privacy/exports/...``, valid until
    ``download_expires_at``; read the request again for a fresh one)."""
    status, out = await _readable_request(gw, principal, request_id)
    mine = out.get("requested_by") == principal.user_id
    link: tuple[str | None, str | None] = (None, None)
    if mine and out.get("download_url"):  # privacy's link is internal; only the requester's
        link = await _download_link(gw, principal, request_id)
    out["download_url"], out["download_expires_at"] = link
    return passthrough(status, out)


async def _readable_request(
    gw: Gateway, principal: Principal, request_id: str
) -> tuple[int, dict[str, Any]]:
    """Privacy's view of the request, if the caller made it or has ``privacy.manage``."""
    status, out = await gw.services.call_json(
        "privacy",
        "GET",
        f"/internal/requests/{quote(request_id, safe='')}",
        identity=principal.identity(),
    )
    if not isinstance(out, dict) or "id" not in out:
        raise ApiError(502, "upstream_error", "the privacy service answered nonsense")
    mine = out.get("requested_by") == principal.user_id
    if not mine and not is_allowed(principal.role, Action.PRIVACY_MANAGE):
        raise not_found("privacy request", request_id)
    return status, out


@router.get("/requests/{request_id}/certificate", response_model=CertificateOut)
async def get_certificate(
    request_id: Annotated[str, Path(min_length=1, max_length=100)],
    principal: Anyone,
    gw: GatewayDep,
) -> Response:
    """The signed certificate of a completed erasure (409 before): save it as a file and
    check it offline with ``clashtor-ops verify-certificate FILE --key <public key>``."""
    await _readable_request(gw, principal, request_id)
    path = f"/internal/requests/{quote(request_id, safe='')}/certificate"
    return await forward(gw, "privacy", principal, "GET", path)


@router.get("/certificate-key", response_model=CertificateKeyOut)
async def certificate_key(principal: Anyone, gw: GatewayDep) -> Response:
    """The Ed25519 public key (``{algorithm, key_id, public_key}``) that verifies erasure
    certificates."""
    return await forward(gw, "privacy", principal, "GET", "/internal/certificate-key")


async def _download_link(
    gw: Gateway, principal: Principal, request_id: str
) -> tuple[str | None, str | None]:
    """A fresh public link to the export bundle, for its requester only (privacy mints a
    15-minute token bound to them). None when the bundle is gone or not ready after all."""
    resp = await gw.services.request(
        "privacy",
        "GET",
        f"/internal/requests/{quote(request_id, safe='')}/download",
        identity=principal.identity(),
    )
    if resp.status_code in (404, 409, 410):
        return None, None
    link = json_body("privacy", resp)
    url = link.get("url") if isinstance(link, dict) else None
    if not isinstance(url, str) or not url.startswith(_PRIVACY_EXPORTS):
        raise ApiError(502, "upstream_error", "the privacy service answered nonsense")
    token = url.removeprefix(_PRIVACY_EXPORTS)
    return f"{router.prefix}/exports/{quote(token, safe='')}", link.get("expires_at")


_PRIVACY_EXPORTS = "/internal/exports/"
_EXPORT_HEADERS = (
    "content-type",
    "content-length",
    "content-disposition",
    "x-content-sha256",
)


@router.get(
    "/exports/{token}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the export bundle"}},
)
async def download_export(
    token: Annotated[str, Path(min_length=1, max_length=2000, pattern=r"^[A-Za-z0-9._~-]+$")],
    principal: Anyone,
    gw: GatewayDep,
) -> Response:
    """The export bundle (a ZIP), streamed. The link works only for the user who asked
    for the export, signed in as themselves, until it expires (403 afterwards)."""
    return await stream_through(
        gw.services,
        "privacy",
        f"{_PRIVACY_EXPORTS}{quote(token, safe='')}",
        identity=principal.identity(),
        keep_headers=_EXPORT_HEADERS,
    )


@account.delete(
    "",
    status_code=202,
    response_model=AccountStatusOut,
    responses={200: {"model": AccountStatusOut, "description": "already deleted"}},
)
async def delete_account(
    principal: Annotated[Principal, Depends(require(Action.ACCOUNT_DELETE))], gw: GatewayDep
) -> Response:
    """Delete the organization's account and all its data, after 30 days to change your mind.

    From this answer on, every request of the organization's members answers 403
    ``account_deleted`` (but ``GET /v1/me``, sign-out and the owner's restore)."""
    status, out = await gw.services.call_json(
        "privacy", "DELETE", "/internal/account", identity=principal.identity()
    )
    gw.accounts.remember(principal.org_id, AccountStatus.from_privacy(out))
    await profile.mark_deletion(gw, principal.org_id, requested=True)
    return passthrough(status, out)


@account.post("/restore", response_model=AccountStatusOut)
async def restore_account(
    principal: Annotated[Principal, Depends(require(Action.ACCOUNT_RESTORE))], gw: GatewayDep
) -> Response:
    """Cancel a pending account deletion within its 30 days."""
    status, out = await gw.services.call_json(
        "privacy", "POST", "/internal/account/restore", identity=principal.identity()
    )
    gw.accounts.remember(principal.org_id, AccountStatus(status="active"))
    await profile.mark_deletion(gw, principal.org_id, requested=False)
    return passthrough(status, out)
