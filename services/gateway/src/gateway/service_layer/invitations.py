"""Invitations: an owner or admin invites an email with a role; the invitee sets a password.

The token goes out once (in the response and by email) and is stored only as a hash.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import as_utc, utcnow
from clashtor_common.domain_errors import Conflict, Forbidden, NotFound
from gateway.adapters import mailer as mail
from gateway.adapters.tables import Invitation, Organization, User
from gateway.context import Gateway
from gateway.domain import credentials
from gateway.domain.permissions import Role, can_grant
from gateway.domain.principal import Principal
from gateway.service_layer.auth import (
    SignedIn,
    checked_email,
    checked_name,
    checked_password,
    email_fingerprint,
    email_taken,
    start_session,
)
from gateway.service_layer.pages import by_creation


def accept_url(gw: Gateway, token: str) -> str:
    return f"{gw.settings.public_url.rstrip('/')}/invitations/{token}"


async def invite(
    gw: Gateway, actor: Principal, *, email: str, role: Role
) -> tuple[Invitation, str]:
    email = checked_email(email)
    if not can_grant(actor.role, role):
        raise Forbidden(f"a {actor.role.value} cannot invite a {role.value}")
    token = credentials.new_token()
    async with gw.db.session() as session:
        if await email_taken(gw, session, email):
            raise Conflict(code="email_taken", message="a user with this email already exists")
        pending = await session.execute(
            select(Invitation).where(
                Invitation.org_id == actor.org_id,
                Invitation.email_fingerprint == email_fingerprint(gw, email),
                Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
                Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
            )
        )
        for old in pending.scalars():  # a new invitation replaces the previous one
            old.revoked_at = utcnow()
        invitation = Invitation(
            org_id=actor.org_id,
            email=email,
            email_fingerprint=email_fingerprint(gw, email),
            role=role.value,
            token_hash=credentials.hash_token(token),
            invited_by=actor.user_id,
            expires_at=utcnow() + timedelta(seconds=gw.settings.invitation_ttl_seconds),
        )
        session.add(invitation)
        org = await session.get(Organization, actor.org_id)
    await gw.mailer.send(
        mail.invitation(
            to=email,
            organization=org.name if org else actor.org_id,
            role=role.value,
            accept_url=accept_url(gw, token),
        )
    )
    return invitation, token


async def list_pending(
    gw: Gateway, actor: Principal, *, limit: int, cursor: str | None
) -> tuple[list[Invitation], str | None]:
    query = select(Invitation).where(
        Invitation.org_id == actor.org_id,
        Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
        Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
        Invitation.expires_at > utcnow(),
    )
    return await by_creation(gw, query, Invitation, limit=limit, cursor=cursor)


async def revoke(gw: Gateway, actor: Principal, invitation_id: str) -> None:
    async with gw.db.session() as session:
        invitation = await session.get(Invitation, invitation_id)
        if invitation is None or invitation.org_id != actor.org_id:
            raise NotFound.of("invitation", invitation_id)
        if invitation.revoked_at is None and invitation.accepted_at is None:
            invitation.revoked_at = utcnow()


async def revoke_beyond(session: AsyncSession, inviter: User, role: str | None) -> int:
    """Revoke ``inviter``'s pending invitations for roles ``role`` may not grant
    (every one when ``role`` is None: the inviter is leaving). Returns how many."""
    rows = await session.execute(
        select(Invitation).where(
            Invitation.org_id == inviter.org_id,
            Invitation.invited_by == inviter.id,
            Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
            Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    )
    revoked = 0
    for invitation in rows.scalars():
        if role is None or not can_grant(role, invitation.role):
            invitation.revoked_at = utcnow()
            revoked += 1
    return revoked


async def accept(gw: Gateway, token: str, *, name: str, password: str) -> SignedIn:
    """Create the invited account, if the inviter may still grant the role: a demoted
    or removed inviter's invitation dies with their right (409 ``invitation_revoked``)."""
    checked_password(password)
    name = checked_name(name)
    password_hash = gw.passwords.hash(password)
    try:
        async with gw.db.session() as session:
            found = (
                await session.execute(
                    select(Invitation).where(Invitation.token_hash == credentials.hash_token(token))
                )
            ).scalar_one_or_none()
            if (
                found is None
                or found.accepted_at is not None
                or found.revoked_at is not None
                or as_utc(found.expires_at) <= utcnow()
            ):
                raise NotFound(
                    code="invitation_not_found",
                    message="this invitation is unknown, was already used, revoked, or has expired",
                )
            org = await session.get(Organization, found.org_id)
            if org is None:
                raise NotFound.of("organization", found.org_id)
            inviter = await session.get(User, found.invited_by)
            outlived = (
                inviter is None
                or inviter.org_id != found.org_id
                or not can_grant(inviter.role, found.role)
            )
            if outlived:
                found.revoked_at = utcnow()  # committed below: the invitation stays dead
            else:
                if await email_taken(gw, session, found.email):
                    raise Conflict(
                        code="email_taken", message="a user with this email already exists"
                    )
                user = User(
                    org_id=found.org_id,
                    name=name,
                    email=found.email,
                    email_fingerprint=found.email_fingerprint,
                    password_hash=password_hash,
                    role=found.role,
                )
                session.add(user)
                found.accepted_at = utcnow()
                token_out = await start_session(gw, session, user)
    except IntegrityError as exc:
        raise Conflict(code="email_taken", message="a user with this email already exists") from exc
    if outlived:
        raise Conflict(
            code="invitation_revoked",
            message="whoever sent this invitation may no longer grant this role; "
            "ask the organization for a new one",
        )
    return SignedIn(user, org, token_out)
