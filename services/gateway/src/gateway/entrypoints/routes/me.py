"""``/v1/me``: the signed-in user's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.adapters import mailer as mail
from gateway.context import Gateway
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
    return await my_view(gw, principal)


@router.patch("", response_model=MeOut)
async def update_me(
    body: MeUpdateIn,
    principal: Annotated[Principal, Depends(require(Action.PROFILE_UPDATE))],
    gw: GatewayDep,
) -> MeOut:
    """Change name, email or password. Email and password need ``current_password``.

    A new email takes effect only once confirmed with the link mailed to it (the old
    address is told); until then it shows as ``pending_email``. A new password ends every
    other session and revokes your API keys unless ``keep_api_keys`` is true. A new name
    (or, once confirmed, email) is passed on to every service holding a copy."""
    update = await profile.update_me(gw, principal, body)
    if update.changed:  # committed; if privacy cannot take it now, the retry loop will
        await gw.rectifications.deliver(principal.user_id)
    if update.email_change is not None:
        change = update.email_change
        await gw.mailer.send(
            mail.email_confirmation(to=change.new_email, confirm_url=confirm_url(gw, change.token))
        )
        await gw.mailer.send(
            mail.email_change_notice(to=change.old_email, new_email=change.new_email)
        )
    return await my_view(gw, principal)


async def my_view(gw: Gateway, principal: Principal) -> MeOut:
    out = me_out(*await profile.load_me(gw, principal))
    out.pending_email = await profile.pending_email(gw, principal.user_id)
    return out


def confirm_url(gw: Gateway, token: str) -> str:
    return f"{gw.settings.public_url.rstrip('/')}/confirm-email/{token}"
