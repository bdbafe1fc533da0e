"""``/v1/invitations``: invite people by email; they accept with a name and a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from clashtor_common.pagination import Paging
from gateway.domain.permissions import Action, Role
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import (
    GatewayDep,
    csrf_for,
    limit_per_address,
    require,
    set_session_cookie,
)
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    AcceptIn,
    InvitationCreatedOut,
    InvitationIn,
    InvitationPage,
    RowId,
    SessionOut,
)
from gateway.entrypoints.views import invitation_out, me_out
from gateway.service_layer import invitations, profile

router = APIRouter(prefix="/v1/invitations", tags=["invitations"], responses=COMMON_ERRORS)
Invitee = Annotated[Principal, Depends(require(Action.MEMBERS_INVITE))]


@router.post("", status_code=201, response_model=InvitationCreatedOut)
async def invite(body: InvitationIn, principal: Invitee, gw: GatewayDep) -> InvitationCreatedOut:
    """Invite an email with a role (never above yours). The token is shown once."""
    invitation, token = await invitations.invite(
        gw, principal, email=body.email, role=Role(body.role)
    )
    return InvitationCreatedOut(
        **invitation_out(invitation).model_dump(),
        token=token,
        accept_url=invitations.accept_url(gw, token),
    )


@router.get("", response_model=InvitationPage)
async def list_invitations(principal: Invitee, gw: GatewayDep, page: Paging) -> InvitationPage:
    """Pending invitations, oldest first (tokens are never shown again)."""
    found = await invitations.list_pending(gw, principal, limit=page.limit, cursor=page.cursor)
    return InvitationPage.of(found, invitation_out)


@router.delete("/{invitation_id}", status_code=204, response_class=Response)
async def revoke_invitation(
    invitation_id: RowId,
    principal: Invitee,
    gw: GatewayDep,
) -> Response:
    await invitations.revoke(gw, principal, invitation_id)
    return Response(status_code=204)


@router.post(
    "/{token}/accept",
    status_code=201,
    response_model=SessionOut,
    dependencies=[Depends(limit_per_address("confirm"))],
)
async def accept_invitation(
    token: Annotated[str, Path(min_length=1, max_length=128)],
    body: AcceptIn,
    gw: GatewayDep,
    response: Response,
) -> SessionOut:
    """Join the organization: creates the account and signs it in. Token checks are
    limited per client address (429); an invitation whose inviter may no longer grant
    its role answers 409 ``invitation_revoked``."""
    signed = await invitations.accept(gw, token, name=body.name, password=body.password)
    set_session_cookie(response, signed.session_token, gw.settings)
    user, org, team = await profile.load_user(gw, signed.user.id, signed.organization.id)
    return SessionOut(user=me_out(user, org, team), csrf_token=csrf_for(gw, signed.session_token))
