"""The signed, short-lived internal identity the gateway issues and every service checks.

Services trust no caller: every internal route requires this header, and every query
is scoped by its ``org_id``, so tenant isolation holds even if the gateway has a bug.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from clashtor_common.errors import ApiError
from clashtor_common.logs import bind_org

IDENTITY_HEADER = "X-Clashtor-Identity"
ISSUER = "clashtor-gateway"
Role = Literal["owner", "admin", "manager", "rep", "compliance", "system"]


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    org_id: str
    user_id: str
    role: Role
    team_user_ids: tuple[str, ...] = ()
    """For managers: the users of their team (whose calls they may see)."""


#: Roles that see every call of their organization.
ORG_WIDE_ROLES = frozenset({"owner", "admin", "compliance", "system"})


def visible_uploaders(identity: Identity) -> frozenset[str] | None:
    """Uploader ids whose calls ``identity`` may see; None means every call of the org.

    A rep sees their own calls, a manager theirs and their team's. Each service applies
    this itself (beside its org scoping), so a gateway bug cannot widen it.
    """
    if identity.role in ORG_WIDE_ROLES:
        return None
    if identity.role == "manager":
        return frozenset({identity.user_id, *identity.team_user_ids})
    return frozenset({identity.user_id})


def can_see(identity: Identity, uploader_id: str) -> bool:
    allowed = visible_uploaders(identity)
    return allowed is None or uploader_id in allowed


def sign_identity(identity: Identity, secret: str, ttl_seconds: int = 60) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl_seconds,
        "org": identity.org_id,
        "sub": identity.user_id,
        "role": identity.role,
        "team": list(identity.team_user_ids),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_identity(token: str, secret: str) -> Identity:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "iat"]}
        )
        return Identity(
            org_id=claims["org"],
            user_id=claims["sub"],
            role=claims["role"],
            team_user_ids=tuple(claims.get("team") or ()),
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "invalid_identity", "internal identity expired") from exc
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        # The library's text (which claim, which check) stays out of the answer.
        raise ApiError(401, "invalid_identity", "internal identity rejected") from exc


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the verified identity of an internal request."""
    token = request.headers.get(IDENTITY_HEADER)
    if not token:
        raise ApiError(401, "missing_identity", f"{IDENTITY_HEADER} header is required")
    secret: str = request.app.state.settings.identity_secret.get_secret_value()
    identity = verify_identity(token, secret)
    bind_org(identity.org_id)  # the request's log lines name its tenant from here on
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]
