"""API keys: created by a user for their org with a role no higher than their own.

The key is shown once; we keep its SHA-256 (keys are 192 random bits, so a fast hash
is enough) and its first characters, so a listing can tell keys apart.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import select

from clashtor_common.db import utcnow
from clashtor_common.domain_errors import Forbidden, InvalidInput, NotFound
from gateway.adapters.tables import ApiKey
from gateway.context import Gateway
from gateway.domain import credentials
from gateway.domain.permissions import Action, Role, can_grant, is_allowed
from gateway.domain.principal import Principal
from gateway.service_layer.pages import by_creation

P = ParamSpec("P")
T = TypeVar("T")


def changes_credentials(
    use_case: Callable[Concatenate[Gateway, P], Awaitable[T]],
) -> Callable[Concatenate[Gateway, P], Awaitable[T]]:
    """For a use case that revokes keys or changes what a key's user may do (role, team,
    membership): once it is over (committed or not), this replica's cached API key
    principals are dropped (``ApiKeyCache.forget_all``), so the change holds here at once."""

    @functools.wraps(use_case)
    async def wrapper(gw: Gateway, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await use_case(gw, *args, **kwargs)
        finally:
            gw.api_keys.forget_all()

    return wrapper


async def create(
    gw: Gateway, actor: Principal, *, name: str, role: Role | None
) -> tuple[ApiKey, str]:
    role = role or actor.role
    if not can_grant(actor.role, role):
        raise Forbidden(f"a {actor.role.value} cannot create a key with role {role.value}")
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(code="invalid_name", message="name must not be blank")
    key = credentials.new_api_key(live=gw.settings.environment == "production")
    row = ApiKey(
        org_id=actor.org_id,
        user_id=actor.user_id,
        name=cleaned,
        prefix=credentials.api_key_prefix(key),
        key_hash=credentials.hash_token(key),
        role=role.value,
    )
    async with gw.db.session() as session:
        session.add(row)
    return row, key


def _sees_all(actor: Principal) -> bool:
    return is_allowed(actor.role, Action.API_KEYS_MANAGE_ALL)


async def list_keys(
    gw: Gateway, actor: Principal, *, limit: int, cursor: str | None
) -> tuple[list[ApiKey], str | None]:
    await gw.usage.flush_now()  # this replica's last uses show in the listing
    query = select(ApiKey).where(ApiKey.org_id == actor.org_id)
    if not _sees_all(actor):
        query = query.where(ApiKey.user_id == actor.user_id)
    return await by_creation(gw, query, ApiKey, limit=limit, cursor=cursor)


@changes_credentials
async def revoke(gw: Gateway, actor: Principal, key_id: str) -> None:
    async with gw.db.session() as session:
        row = await session.get(ApiKey, key_id)
        if (
            row is None
            or row.org_id != actor.org_id
            or (row.user_id != actor.user_id and not _sees_all(actor))
        ):
            raise NotFound.of("API key", key_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
