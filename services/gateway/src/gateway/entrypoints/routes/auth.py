"""``/v1/auth``: sign up, sign in, sign out, and the CSRF token of the current session."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from clashtor_common.errors import ApiError
from gateway.entrypoints.deps import (
    Authenticated,
    GatewayDep,
    clear_session_cookie,
    client_address,
    csrf_for,
    limit_per_address,
    set_session_cookie,
)
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    CsrfOut,
    EmailConfirmIn,
    LoginIn,
    SessionOut,
    SignupIn,
)
from gateway.entrypoints.views import me_out
from gateway.service_layer import auth, profile

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=COMMON_ERRORS)


async def _signed_in(gw: GatewayDep, signed: auth.SignedIn, response: Response) -> SessionOut:
    set_session_cookie(response, signed.session_token, gw.settings)
    user, org, team = await profile.load_user(gw, signed.user.id, signed.organization.id)
    return SessionOut(user=me_out(user, org, team), csrf_token=csrf_for(gw, signed.session_token))


@router.post(
    "/signup",
    status_code=201,
    response_model=SessionOut,
    dependencies=[Depends(limit_per_address("signup"))],
)
async def signup(body: SignupIn, gw: GatewayDep, response: Response) -> SessionOut:
    """Create an organization and its owner; signs the owner in (session cookie).
    Limited per client address (429 ``rate_limited`` with ``Retry-After``)."""
    return await _signed_in(gw, await auth.signup(gw, body), response)


@router.post("/login", response_model=SessionOut)
async def login(body: LoginIn, request: Request, gw: GatewayDep, response: Response) -> SessionOut:
    """Sign in. Repeated failures for one account or from one address answer 429."""
    signed = await auth.login(
        gw,
        email=body.email,
        password=body.password,
        address=client_address(request, gw.settings),
    )
    return await _signed_in(gw, signed, response)


@router.post("/logout", status_code=204, response_class=Response)
async def logout(principal: Authenticated, gw: GatewayDep, response: Response) -> Response:
    """End this session on the server and clear the cookie."""
    if principal.via != "session":
        raise ApiError(
            403, "session_required", "API keys are revoked with DELETE /v1/api-keys/{id}"
        )
    await auth.logout(gw, principal)
    out = Response(status_code=204)
    clear_session_cookie(out, gw.settings)
    return out


@router.get("/csrf", response_model=CsrfOut)
async def csrf(principal: Authenticated, gw: GatewayDep) -> CsrfOut:
    """The CSRF token of the current session (send it as ``X-CSRF-Token``)."""
    if principal.session_token is None:
        raise ApiError(403, "session_required", "API-key requests need no CSRF token")
    return CsrfOut(csrf_token=csrf_for(gw, principal.session_token))


@router.post(
    "/email/confirm",
    status_code=204,
    response_class=Response,
    dependencies=[Depends(limit_per_address("confirm"))],
)
async def confirm_email(body: EmailConfirmIn, gw: GatewayDep) -> Response:
    """Confirm a new email address with the token from the link mailed to it
    (``PATCH /v1/me``); the address changes only now. Works without being signed in;
    token checks are limited per client address (429)."""
    user_id = await profile.confirm_email(gw, body.token)
    await gw.rectifications.deliver(user_id)
    return Response(status_code=204)
