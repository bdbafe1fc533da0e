"""``/v1/me``: the signed-in user's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, MeOut, MeUpdateIn
from gateway.entrypoints.views import me_out
from gateway.service_layer import profile

router = APIRouter(prefix="/v1/me", tags=["me"], responses=COMMON_ERRORS)


@router.get("", response_model=MeOut)
async def get_me(
    principal: Annotated[Principal, Depends(require(Action.PROFILE_READ))], gw: GatewayDep
) -> MeOut:
    return me_out(*await profile.load_me(gw, principal))


@router.patch("", response_model=MeOut)
async def update_me(
    body: MeUpdateIn,
    principal: Annotated[Principal, Depends(require(Action.PROFILE_UPDATE))],
    gw: GatewayDep,
) -> MeOut:
    """Change name, email or password. Email and password need ``current_password``;
    a new password ends every other session. A new name or email is passed on to every
    service holding a copy (a rectification through privacy)."""
    changed = await profile.update_me(
        gw,
        principal,
        name=body.name,
        email=body.email,
        password=body.password,
        current_password=body.current_password,
    )
    if changed:  # committed; if privacy cannot take it now, the retry loop will
        await gw.rectifications.deliver(principal.user_id)
    return me_out(*await profile.load_me(gw, principal))
