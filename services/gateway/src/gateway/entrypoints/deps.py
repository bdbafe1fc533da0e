"""Request dependencies: the gateway, the caller (``authenticate``) and ``require(action)``.

Authentication and authorization happen here and nowhere else:

- ``Authorization: Bearer <API key>`` authenticates as the key (its role, its org);
  no CSRF check, since a browser never attaches it by itself;
- otherwise the session cookie, and then any state-changing method must carry
  ``X-CSRF-Token`` equal to the token bound to that session (double submit: the
  token is readable only by the page that got it from login/signup/``GET
  /v1/auth/csrf``; the cookie is HttpOnly);
- a deleted organization (privacy's account status, cached briefly) gets 403
  ``account_deleted`` everywhere but ``OPEN_WHEN_DELETED``;
- ``require(action)`` checks the role against the one permission table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPBearer

from clashtor_common.errors import ApiError
from clashtor_common.logs import bind_org
from gateway.context import Gateway
from gateway.domain.credentials import csrf_matches, csrf_token
from gateway.domain.permissions import Action, allowed_roles, is_allowed
from gateway.domain.principal import Principal
from gateway.service_layer.auth import check_rate, principal_from_api_key, principal_from_session
from gateway.settings import GatewaySettings

SESSION_COOKIE = "clashtor_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_WHEN_DELETED = frozenset(
    {
        ("POST", "/v1/account/restore"),
        ("GET", "/v1/me"),
        ("POST", "/v1/auth/logout"),
        ("GET", "/v1/auth/csrf"),  # a reloaded page needs it to send the restore
    }
)
"""Routes a deleted organization's members can still reach: see that it is deleted,
restore it (the owner), sign out. Everything else answers 403 ``account_deleted``."""

# Declared for the OpenAPI document (the "Authorize" button); the checks are below.
_bearer_scheme = HTTPBearer(auto_error=False, description="API key: `Bearer ck_live_...`")
_cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description=f"Session cookie; state-changing requests also need the `{CSRF_HEADER}` header.",
)


async def get_gateway(request: Request) -> Gateway:
    """Async although it awaits nothing: FastAPI runs a plain ``def`` dependency in its
    worker thread pool, a thread hop on every request for one attribute read."""
    gw: Gateway = request.app.state.gateway
    return gw


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def client_address(request: Request, settings: GatewaySettings) -> str:
    """The caller's address, for login throttling.

    Behind the ingress (``trust_forwarded_for``) it is the *last* ``X-Forwarded-For``
    entry: the one the ingress appended. Earlier entries come from the client and can be
    anything, so trusting the first would let an attacker pick a new address per guess.
    """
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, token: str, settings: GatewaySettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings.insecure_cookies,
    )


def clear_session_cookie(response: Response, settings: GatewaySettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings.insecure_cookies,
    )


def csrf_for(gw: Gateway, session_token: str) -> str:
    return csrf_token(gw.settings.csrf_secret.get_secret_value(), session_token)


async def authenticate(
    request: Request,
    gw: GatewayDep,
    _bearer: Annotated[object, Depends(_bearer_scheme)] = None,
    _cookie: Annotated[object, Depends(_cookie_scheme)] = None,
) -> Principal:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(
                401,
                "invalid_authorization",
                "Authorization must be 'Bearer <API key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = await principal_from_api_key(gw, key.strip())
        if principal is None:
            raise ApiError(
                401,
                "invalid_api_key",
                "the API key is not valid or was revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise ApiError(
                401,
                "not_authenticated",
                "sign in, or send an API key as 'Authorization: Bearer <key>'",
            )
        principal = await principal_from_session(gw, token)
        if principal is None:
            raise ApiError(401, "session_expired", "your session has ended; sign in again")
        if request.method not in SAFE_METHODS and not csrf_matches(
            gw.settings.csrf_secret.get_secret_value(), token, request.headers.get(CSRF_HEADER)
        ):
            raise ApiError(
                403,
                "csrf_failed",
                f"the {CSRF_HEADER} header is missing or wrong; get one from GET /v1/auth/csrf",
            )
    request.state.principal = principal
    bind_org(principal.org_id)  # the request's log lines name the tenant from here
    route = request.scope.get("route")
    request.state.usage_route = getattr(route, "path", None)
    if (request.method, request.state.usage_route) not in OPEN_WHEN_DELETED:
        await gw.accounts.ensure_active(principal.identity())
    return principal


Authenticated = Annotated[Principal, Depends(authenticate)]


def check_allowed(principal: Principal, action: Action) -> None:
    """403 unless the caller's role may perform ``action`` (see ``PERMISSIONS``)."""
    if not is_allowed(principal.role, action):
        raise ApiError(
            403,
            "forbidden",
            f"'{action.value}' needs one of the roles {allowed_roles(action)}; "
            f"you act as {principal.role.value}",
        )


def require(action: Action) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency: the caller, if their role may perform ``action``."""

    async def dependency(principal: Authenticated) -> Principal:
        check_allowed(principal, action)
        return principal

    dependency.__name__ = f"require_{action.value.replace('.', '_')}"
    return dependency


def limit_per_address(action: str) -> Callable[..., Awaitable[None]]:
    """Dependency: count one ``action`` against the client address (429 past the limit).

    A dependency runs before the body is validated, so malformed attempts count too."""

    async def dependency(request: Request, gw: GatewayDep) -> None:
        await check_rate(gw, action, client_address(request, gw.settings))

    dependency.__name__ = f"limit_{action}"
    return dependency
