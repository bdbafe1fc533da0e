"""The signed-in user's own account: read it, change name, email or password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from clashtor_common.db import as_utc, utcnow
from clashtor_common.domain_errors import Conflict, Forbidden, NotAuthenticated, NotFound
from gateway.adapters import rectification_relay
from gateway.adapters.tables import EmailChange, Organization, User
from gateway.context import Gateway
from gateway.domain import credentials
from gateway.domain.principal import Principal
from gateway.service_layer.api_keys import changes_credentials
from gateway.service_layer.auth import (
    checked_email,
    checked_name,
    checked_password,
    email_fingerprint,
    email_taken,
    revoke_credentials,
    team_of,
)


async def load_user(
    gw: Gateway, user_id: str, org_id: str
) -> tuple[User, Organization, tuple[str, ...]]:
    """A user with their organization and team (the users they manage)."""
    async with gw.db.session() as session:
        user = await session.get(User, user_id)
        org = await session.get(Organization, org_id)
        if user is None or org is None or user.org_id != org_id:
            raise NotAuthenticated(code="session_expired", message="your account no longer exists")
        team = await team_of(session, user.org_id, user.id)
    return user, org, team


async def load_me(gw: Gateway, principal: Principal) -> tuple[User, Organization, tuple[str, ...]]:
    return await load_user(gw, principal.user_id, principal.org_id)


async def mark_deletion(gw: Gateway, org_id: str, requested: bool) -> None:
    """Remember that the organization asked to be deleted (30 days to change its mind)."""
    async with gw.db.session() as session:
        org = await session.get(Organization, org_id)
        if org is not None:
            org.deletion_requested_at = utcnow() if requested else None


@dataclass(frozen=True)
class EmailChangeRequested:
    """A new address waiting for confirmation: who to mail and with what token."""

    old_email: str
    new_email: str
    token: str


@dataclass(frozen=True)
class ProfileUpdate:
    changed: set[str]
    """Personal fields that changed now (``name``, ``email``)."""
    email_change: EmailChangeRequested | None = None


class ProfileChange(Protocol):
    """What the user asked to change (None: keep it), as the ``PATCH /v1/me`` body has it."""

    name: str | None
    email: str | None
    password: str | None
    current_password: str | None
    keep_api_keys: bool


@changes_credentials
async def update_me(gw: Gateway, principal: Principal, change: ProfileChange) -> ProfileUpdate:
    """Name changes freely; email and password need the current password.

    A new email does not take effect here: it waits for the link mailed to it
    (``confirm_email``), so nobody can claim an address they do not own. A new password
    ends every other session and revokes the user's API keys unless ``keep_api_keys``.
    A name change is recorded for rectification in the same transaction."""
    new_email = checked_email(change.email) if change.email is not None else None
    if change.password is not None:
        checked_password(change.password)
    new_hash = gw.passwords.hash(change.password) if change.password is not None else None
    async with gw.db.session() as session:
        user = await session.get(User, principal.user_id)
        if user is None or user.org_id != principal.org_id:
            raise NotAuthenticated(code="session_expired", message="your account no longer exists")
        sensitive = (new_email is not None and new_email != user.email) or new_hash is not None
        if sensitive:
            if not change.current_password:
                raise Forbidden(  # re-authentication, like a sudo prompt
                    "changing email or password needs current_password",
                    code="current_password_required",
                )
            if not gw.passwords.verify(user.password_hash, change.current_password):
                raise Forbidden(code="wrong_password", message="current_password is wrong")
        changed: set[str] = set()
        new_name = checked_name(change.name) if change.name is not None else None
        if new_name is not None and new_name != user.name:
            user.name = new_name
            changed.add("name")
        requested: EmailChangeRequested | None = None
        if new_email is not None and new_email != user.email:
            if await email_taken(gw, session, new_email, except_user=user.id):
                raise Conflict(code="email_taken", message="another account uses this email")
            token = credentials.new_token()
            await session.execute(delete(EmailChange).where(EmailChange.user_id == user.id))
            session.add(
                EmailChange(
                    user_id=user.id,
                    org_id=user.org_id,
                    new_email=new_email,
                    token_hash=credentials.hash_token(token),
                    expires_at=utcnow() + timedelta(seconds=gw.settings.email_change_ttl_seconds),
                )
            )
            requested = EmailChangeRequested(user.email, new_email, token)
        if new_hash is not None:
            user.password_hash = new_hash
            keep = principal.credential_id if principal.via == "session" else None
            await revoke_credentials(
                session, user.id, keep_session=keep, keep_api_keys=change.keep_api_keys
            )
        user.updated_at = utcnow()
        await rectification_relay.record_change(session, user, changed, user.email)
    return ProfileUpdate(changed, requested)


async def pending_email(gw: Gateway, user_id: str) -> str | None:
    """The address waiting for confirmation, if any (shown to its user only)."""
    async with gw.db.session() as session:
        row = await session.get(EmailChange, user_id)
        if row is None or as_utc(row.expires_at) <= utcnow():
            return None
        return row.new_email


async def confirm_email(gw: Gateway, token: str) -> str:
    """Apply the email change the token was mailed for; returns the user id.

    The link proves the new address is the user's. Only now does the address change
    (sign-in, privacy rights) and go to privacy for rectification."""
    try:
        async with gw.db.session() as session:
            row = (
                await session.execute(
                    select(EmailChange).where(
                        EmailChange.token_hash == credentials.hash_token(token)
                    )
                )
            ).scalar_one_or_none()
            if row is None or as_utc(row.expires_at) <= utcnow():
                raise NotFound(
                    code="confirmation_not_found",
                    message="this confirmation link is unknown, was already used, or has expired",
                )
            user = await session.get(User, row.user_id)
            if user is None or user.org_id != row.org_id:
                await session.delete(row)
                raise NotFound(
                    code="confirmation_not_found", message="this account no longer exists"
                )
            if await email_taken(gw, session, row.new_email, except_user=user.id):
                raise Conflict(code="email_taken", message="another account uses this email now")
            previous_email = user.email
            user.email = row.new_email
            user.email_fingerprint = email_fingerprint(gw, row.new_email)
            user.updated_at = utcnow()
            await session.delete(row)
            await rectification_relay.record_change(session, user, {"email"}, previous_email)
            user_id = user.id
    except IntegrityError as exc:
        raise Conflict(code="email_taken", message="another account uses this email now") from exc
    return user_id
