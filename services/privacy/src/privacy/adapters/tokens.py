"""Short-lived download links for export bundles: a signed token naming request, org and user.

The link is useless to anyone but the requester: the export route also checks that
the caller's signed identity is the user and organization the token was minted for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt

AUDIENCE = "clashtor-privacy-export"


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True)
class DownloadGrant:
    request_id: str
    org_id: str
    user_id: str


def mint(grant: DownloadGrant, secret: str, *, now: datetime, ttl_seconds: int) -> str:
    issued = int(now.timestamp())
    claims = {
        "aud": AUDIENCE,
        "rid": grant.request_id,
        "org": grant.org_id,
        "sub": grant.user_id,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(token: str, secret: str, *, now: datetime) -> DownloadGrant:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            # Time is checked below against the injected clock, not the system's.
            options={
                "require": ["exp", "iat", "rid", "org", "sub"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken("download link is not valid") from exc
    at = int(now.timestamp())
    if at >= int(claims["exp"]):
        raise InvalidToken("download link has expired; ask for a new one")
    if at < int(claims["iat"]) - 60:
        raise InvalidToken("download link is not valid yet")
    return DownloadGrant(request_id=claims["rid"], org_id=claims["org"], user_id=claims["sub"])
