"""Signing up, signing in and out, and turning a cookie or an API key into a ``Principal``."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from clashtor_common.crypto import fingerprint
from clashtor_common.db import as_utc, utcnow
from clashtor_common.domain_errors import Conflict, InvalidInput, NotAuthenticated, TooMany
from gateway.adapters.tables import ApiKey, AuthSession, LoginAttempt, Organization, User
from gateway.context import Gateway
from gateway.domain import credentials, throttle
from gateway.domain.permissions import Role, can_grant
from gateway.domain.principal import Principal


@dataclass(frozen=True)
class SignedIn:
    user: User
    organization: Organization
    session_token: str


def email_fingerprint(gw: Gateway, email: str) -> str:
    return fingerprint(gw.settings.fingerprint_secret.get_secret_value(), email)


def checked_email(email: str) -> str:
    normalized = credentials.normalize_email(email)
    problem = credentials.email_problem(normalized)
    if problem:
        raise InvalidInput(code="invalid_email", message=problem)
    return normalized


def checked_password(password: str) -> str:
    problem = credentials.password_problem(password)
    if problem:
        raise InvalidInput(code="weak_password", message=problem)
    return password


def checked_name(name: str, what: str = "name") -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput(code=f"invalid_{what}", message=f"{what} must not be blank")
    return cleaned


async def email_taken(
    gw: Gateway, session: AsyncSession, email: str, except_user: str | None = None
) -> bool:
    """Whether another account signs in with ``email`` (found by its keyed fingerprint)."""
    query = select(User.id).where(User.email_fingerprint == email_fingerprint(gw, email))
    if except_user:
        query = query.where(User.id != except_user)
    return (await session.execute(query)).first() is not None


async def start_session(gw: Gateway, session: AsyncSession, user: User) -> str:
    token = credentials.new_token()
    session.add(
        AuthSession(
            token_hash=credentials.hash_token(token),
            user_id=user.id,
            org_id=user.org_id,
            expires_at=utcnow() + timedelta(seconds=gw.settings.session_ttl_seconds),
        )
    )
    return token


class SignupForm(Protocol):
    """Who signs up and for which organization, as the ``POST /v1/auth/signup`` body has it."""

    name: str
    email: str
    password: str
    organization: str


async def signup(gw: Gateway, form: SignupForm) -> SignedIn:
    """A new organization with its first user as owner, signed in."""
    email = checked_email(form.email)
    checked_password(form.password)
    password_hash = gw.passwords.hash(form.password)
    try:
        async with gw.db.session() as session:
            if await email_taken(gw, session, email):
                raise Conflict(
                    code="email_taken", message="an account with this email already exists"
                )
            org = Organization(name=checked_name(form.organization, "organization"))
            user = User(
                org_id=org.id,
                name=checked_name(form.name),
                email=email,
                email_fingerprint=email_fingerprint(gw, email),
                password_hash=password_hash,
                role=Role.OWNER.value,
            )
            session.add_all([org, user])
            token = await start_session(gw, session, user)
    except IntegrityError as exc:  # a concurrent signup won the unique email
        raise Conflict(
            code="email_taken", message="an account with this email already exists"
        ) from exc
    return SignedIn(user, org, token)


# --- throttling ---------------------------------------------------------------------


def _keyed(gw: Gateway, *parts: str) -> str:
    secret = gw.settings.fingerprint_secret.get_secret_value().encode()
    return hmac.new(secret, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def _throttle_keys(gw: Gateway, email: str, address: str) -> tuple[str, str]:
    """(account, address) pair and address alone; no raw email or address is stored."""
    return f"pair:{_keyed(gw, 'login', email, address)}", f"addr:{_keyed(gw, 'addr', address)}"


async def _events(
    session: AsyncSession, key: str, since_seconds: int, *, excluding: int | None = None
) -> list[float]:
    cutoff = utcnow() - timedelta(seconds=since_seconds)
    query = select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at > cutoff)
    if excluding is not None:
        query = query.where(LoginAttempt.id != excluding)
    rows = await session.execute(query)
    return [as_utc(at).timestamp() for (at,) in rows]


async def _throttle_verdict(
    gw: Gateway, session: AsyncSession, keys: tuple[str, str]
) -> throttle.Verdict:
    s = gw.settings
    now = utcnow().timestamp()
    pair = throttle.backoff(
        await _events(session, keys[0], s.login_window_seconds),
        throttle.Backoff(
            s.login_free_failures,
            s.login_base_delay_seconds,
            s.login_max_delay_seconds,
            s.login_window_seconds,
        ),
        now,
    )
    address = throttle.check(
        await _events(session, keys[1], s.login_window_seconds),
        throttle.Limit(s.login_max_failures_per_address, s.login_window_seconds),
        now,
    )
    return throttle.strictest(pair, address)


def _too_many(verdict: throttle.Verdict, what: str) -> TooMany:
    return TooMany(
        f"too many {what}; try again in {verdict.retry_after} seconds",
        code="too_many_attempts" if what == "sign-ins" else "rate_limited",
        retry_after=verdict.retry_after,
    )


async def check_rate(gw: Gateway, action: str, *scopes: str) -> None:
    """Count one ``action`` against each scope (an address, ``org:<id>``, ``user:<id>``);
    429 ``rate_limited`` with ``Retry-After`` once any scope is past its limit.

    Limits per action come from settings (``rate_limits``): signups and confirmation or
    invitation tokens per client address, uploads and privacy requests per user and
    per organization. A refused request is not counted.

    The attempt is recorded (committed) before the others are counted, and a request
    proceeds only if fewer than the limit *other* attempts are in the window. Of any
    set of requests let through, the one committed last saw all the others, so a burst
    of parallel requests can never together pass a limit (at worst, racing requests at
    the edge are all refused)."""
    limits = gw.settings.rate_limits.get(action)
    if not limits:
        return
    window = gw.settings.rate_window_seconds
    limited: list[tuple[str, int]] = []
    for scope in scopes:
        kind = scope.split(":", 1)[0] if ":" in scope else "addr"
        maximum = limits.get(kind)
        if maximum is not None:
            limited.append((f"rate:{_keyed(gw, action, scope)}", maximum))
    if not limited:
        return
    async with gw.db.session() as session:
        mine = [LoginAttempt(key=key) for key, _ in limited]
        session.add_all(mine)
        await session.flush()
    own_ids = [row.id for row in mine]
    refusal: throttle.Verdict | None = None
    async with gw.db.session() as session:
        now = utcnow().timestamp()
        for (key, maximum), own in zip(limited, own_ids, strict=True):
            others = await _events(session, key, window, excluding=own)
            verdict = throttle.check(others, throttle.Limit(maximum, window), now)
            if not verdict.allowed:
                refusal = verdict
                break
        if refusal is not None:
            await session.execute(delete(LoginAttempt).where(col(LoginAttempt.id).in_(own_ids)))
    if refusal is not None:
        raise _too_many(refusal, f"{action} requests")


async def login(gw: Gateway, *, email: str, password: str, address: str) -> SignedIn:
    """Sign in, throttled per (account, address) with growing delays and per address.

    A stranger's wrong guesses slow down only that stranger's address for this
    account: the account's owner, from anywhere else, signs in as usual."""
    email = credentials.normalize_email(email)
    keys = _throttle_keys(gw, email, address)
    async with gw.db.session() as session:
        verdict = await _throttle_verdict(gw, session, keys)
    if not verdict.allowed:
        raise _too_many(verdict, "sign-ins")
    signed: SignedIn | None = None
    async with gw.db.session() as session:
        user = (
            await session.execute(
                select(User).where(User.email_fingerprint == email_fingerprint(gw, email))
            )
        ).scalar_one_or_none()
        ok = gw.passwords.verify(user.password_hash if user else None, password)
        org = await session.get(Organization, user.org_id) if user is not None else None
        if ok and user is not None and org is not None:
            await session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0]))
            if gw.passwords.needs_rehash(user.password_hash):
                user.password_hash = gw.passwords.hash(password)
            signed = SignedIn(user, org, await start_session(gw, session, user))
        else:
            session.add_all([LoginAttempt(key=keys[0]), LoginAttempt(key=keys[1])])
            horizon = max(gw.settings.login_window_seconds, gw.settings.rate_window_seconds)
            cutoff = utcnow() - timedelta(seconds=horizon)
            await session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    if signed is None:
        raise NotAuthenticated(code="invalid_credentials", message="email or password is wrong")
    return signed


async def logout(gw: Gateway, principal: Principal) -> None:
    async with gw.db.session() as session:
        row = await session.get(AuthSession, principal.credential_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()


# --- authentication -----------------------------------------------------------------


async def team_of(session: AsyncSession, org_id: str, manager_id: str) -> tuple[str, ...]:
    rows = await session.execute(
        select(User.id).where(User.org_id == org_id, User.manager_id == manager_id)
    )
    return tuple(sorted(r for (r,) in rows))


Credential = TypeVar("Credential", AuthSession, ApiKey)


async def _authenticate(
    gw: Gateway,
    model: type[Credential],
    hash_column: Any,
    token: str,
    fields: Callable[[Credential, User], dict[str, Any] | None],
) -> Principal | None:
    """The principal of the session or API key whose hash ``token`` has. ``fields`` says what
    differs between a session and an API key, or None when the credential no longer serves."""
    async with gw.db.session() as session:
        found = (
            await session.execute(
                select(model, User)
                .join(User, User.id == model.user_id)  # type: ignore[arg-type]
                .where(hash_column == credentials.hash_token(token))
            )
        ).first()
        if found is None:
            return None
        credential, user = found[0], found[1]
        differing = fields(credential, user)
        if differing is None:
            return None
        return Principal(
            user_id=user.id,
            credential_id=credential.id,
            team_user_ids=await team_of(session, user.org_id, user.id),
            analytics_opt_out=user.analytics_opt_out,
            **differing,
        )


async def principal_from_session(gw: Gateway, token: str) -> Principal | None:
    def fields(row: AuthSession, user: User) -> dict[str, Any] | None:
        if row.revoked_at is not None or as_utc(row.expires_at) <= utcnow():
            return None
        return {
            "org_id": user.org_id,
            "role": Role(user.role),
            "via": "session",
            "session_token": token,
        }

    return await _authenticate(gw, AuthSession, AuthSession.token_hash, token, fields)


async def principal_from_api_key(gw: Gateway, key: str) -> Principal | None:
    """The principal of an API key: from ``gw.api_keys`` (a few seconds) or the database.

    A read with a key writes nothing: its use goes to ``gw.usage``, which moves the
    key's ``last_used_at`` in its next batch (at most once a minute per key)."""
    if not credentials.looks_like_api_key(key):
        return None
    key_hash = credentials.hash_token(key)
    principal = await gw.api_keys.lookup(key_hash, lambda: _api_key_principal(gw, key))
    if principal is None:
        return None
    gw.usage.key_used(principal.credential_id, utcnow())
    return principal


async def _api_key_principal(gw: Gateway, key: str) -> Principal | None:
    return await _authenticate(gw, ApiKey, ApiKey.key_hash, key, _api_key_fields)


def _api_key_fields(api_key: ApiKey, user: User) -> dict[str, Any] | None:
    if api_key.revoked_at is not None or api_key.org_id != user.org_id:
        return None
    if not can_grant(user.role, api_key.role):  # the creator was demoted since
        return None
    return {"org_id": api_key.org_id, "role": Role(api_key.role), "via": "api_key"}


async def revoke_credentials(
    session: AsyncSession,
    user_id: str,
    *,
    keep_session: str | None = None,
    keep_api_keys: bool = False,
) -> None:
    """End every session of a user (but ``keep_session``) and revoke their API keys."""
    now = utcnow()
    sessions = await session.execute(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
    )
    for row in sessions.scalars():
        if row.id != keep_session:
            row.revoked_at = now
    if keep_api_keys:
        return
    keys = await session.execute(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    )
    for key in keys.scalars():
        key.revoked_at = now


async def count_owners(session: AsyncSession, org_id: str) -> int:
    return (
        await session.execute(
            select(func.count()).where(User.org_id == org_id, User.role == Role.OWNER.value)
        )
    ).scalar_one()
