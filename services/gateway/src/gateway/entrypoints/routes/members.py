"""``/v1/members``: the organization's people, their roles and teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from clashtor_common.pagination import Paging
from gateway.domain.permissions import Action, Role
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    ManagerIn,
    MemberOut,
    MemberPage,
    RoleIn,
    RowId,
)
from gateway.entrypoints.views import member_out
from gateway.service_layer import members

router = APIRouter(prefix="/v1/members", tags=["members"], responses=COMMON_ERRORS)
MemberId = RowId


@router.get("", response_model=MemberPage)
async def list_members(
    principal: Annotated[Principal, Depends(require(Action.MEMBERS_READ))],
    gw: GatewayDep,
    page: Paging,
) -> MemberPage:
    """The organization's members, oldest first."""
    found = await members.list_members(gw, principal, limit=page.limit, cursor=page.cursor)
    return MemberPage.of(found, member_out)


@router.patch("/{member_id}", response_model=MemberOut)
async def change_role(
    member_id: MemberId,
    body: RoleIn,
    principal: Annotated[Principal, Depends(require(Action.MEMBERS_UPDATE_ROLE))],
    gw: GatewayDep,
) -> MemberOut:
    """Change a member's role (never above your own; an organization keeps an owner)."""
    return member_out(await members.change_role(gw, principal, member_id, Role(body.role)))


@router.put("/{member_id}/manager", response_model=MemberOut)
async def assign_manager(
    member_id: MemberId,
    body: ManagerIn,
    principal: Annotated[Principal, Depends(require(Action.MEMBERS_ASSIGN_MANAGER))],
    gw: GatewayDep,
) -> MemberOut:
    """Put a member on a manager's team (``manager_id: null`` takes them off)."""
    return member_out(await members.assign_manager(gw, principal, member_id, body.manager_id))


@router.delete("/{member_id}", status_code=204, response_class=Response)
async def remove_member(
    member_id: MemberId,
    principal: Annotated[Principal, Depends(require(Action.MEMBERS_REMOVE))],
    gw: GatewayDep,
) -> Response:
    """Remove a member: their account, sessions and API keys are deleted."""
    await members.remove_member(gw, principal, member_id)
    return Response(status_code=204)
