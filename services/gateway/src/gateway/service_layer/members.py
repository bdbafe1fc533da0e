"""An organization's members: list them, change roles, build teams, remove people.

Rules beyond the permission table: nobody hands out a role above their own
(``GRANTABLE``), only owners touch owners, and an organization always keeps an owner.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import utcnow
from clashtor_common.domain_errors import Conflict, Forbidden, InvalidInput, NotFound
from clashtor_common.identity import Identity
from gateway.adapters.sealed import destroy_keys, user_key
from gateway.adapters.tables import (
    ApiKey,
    AuthSession,
    EmailChange,
    Notification,
    PendingRectification,
    User,
)
from gateway.context import Gateway
from gateway.domain.permissions import Role, can_grant
from gateway.domain.principal import Principal
from gateway.service_layer.api_keys import changes_credentials
from gateway.service_layer.auth import count_owners, email_fingerprint
from gateway.service_layer.invitations import revoke_beyond
from gateway.service_layer.pages import by_creation


async def list_members(
    gw: Gateway, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    query = select(User).where(User.org_id == principal.org_id)
    return await by_creation(gw, query, User, limit=limit, cursor=cursor)


async def _member(session: AsyncSession, org_id: str, member_id: str) -> User:
    user = await session.get(User, member_id)
    if user is None or user.org_id != org_id:
        raise NotFound.of("member", member_id)
    return user


def _guard_owner(actor: Principal, member: User) -> None:
    if member.role == Role.OWNER.value and actor.role is not Role.OWNER:
        raise Forbidden("only an owner can change or remove an owner")


@changes_credentials
async def change_role(gw: Gateway, actor: Principal, member_id: str, role: Role) -> User:
    async with gw.db.session() as session:
        member = await _member(session, actor.org_id, member_id)
        _guard_owner(actor, member)
        if not can_grant(actor.role, role):
            raise Forbidden(f"a {actor.role.value} cannot grant the role {role.value}")
        if (
            member.role == Role.OWNER.value
            and role is not Role.OWNER
            and await count_owners(session, actor.org_id) <= 1
        ):
            raise Conflict(
                code="last_owner", message="the organization must keep at least one owner"
            )
        member.role = role.value
        member.updated_at = utcnow()
        await revoke_beyond(session, member, role.value)
        return member


@changes_credentials
async def assign_manager(
    gw: Gateway, actor: Principal, member_id: str, manager_id: str | None
) -> User:
    """Put ``member_id`` on ``manager_id``'s team (or on no team with None)."""
    async with gw.db.session() as session:
        member = await _member(session, actor.org_id, member_id)
        if manager_id is not None:
            if manager_id == member_id:
                raise InvalidInput(
                    code="invalid_manager", message="a member cannot manage themselves"
                )
            manager = await _member(session, actor.org_id, manager_id)
            if manager.role != Role.MANAGER.value:
                raise InvalidInput(
                    code="invalid_manager", message=f"member {manager_id} is not a manager"
                )
        member.manager_id = manager_id
        member.updated_at = utcnow()
        return member


@changes_credentials
async def remove_member(gw: Gateway, actor: Principal, member_id: str) -> None:
    """Remove a person from the organization: their account, sessions and keys go."""
    async with gw.db.session() as session:
        member = await _member(session, actor.org_id, member_id)
        _guard_owner(actor, member)
        if member.role == Role.OWNER.value and await count_owners(session, actor.org_id) <= 1:
            raise Conflict(
                code="last_owner", message="the organization must keep at least one owner"
            )
        await delete_user_data(session, member)


async def delete_user_data(session: AsyncSession, user: User) -> dict[str, int]:
    """Delete a user's account and everything held for them; counts per kind.

    The user's data key goes first: from this transaction's commit on, their name and
    emails are unreadable in every copy of the database (pages, WAL, backups)."""
    removed: dict[str, int] = {}
    await destroy_keys(session, [user_key(user.id)])
    for kind, table, column in (
        ("sessions", AuthSession, AuthSession.user_id),
        ("api_keys", ApiKey, ApiKey.user_id),
        ("notifications", Notification, Notification.user_id),
        ("pending_rectifications", PendingRectification, PendingRectification.user_id),
    ):
        result = await session.execute(delete(table).where(column == user.id))
        removed[kind] = result.rowcount or 0
    removed["invitations_revoked"] = await revoke_beyond(session, user, None)
    await session.execute(delete(EmailChange).where(EmailChange.user_id == user.id))
    await session.execute(update(User).where(User.manager_id == user.id).values(manager_id=None))
    await session.delete(user)
    await session.flush()
    removed["users"] = 1
    return removed


async def member_by_email(gw: Gateway, email: str) -> Identity | None:
    """The account signing in with ``email`` (its keyed fingerprint), as who it acts as:
    how a Zoom meeting's host becomes the uploader of the recording."""
    if not email or "@" not in email:
        return None
    async with gw.db.session() as session:
        user = (
            await session.execute(
                select(User).where(User.email_fingerprint == email_fingerprint(gw, email))
            )
        ).scalar_one_or_none()
    if user is None:
        return None
    return Identity(org_id=user.org_id, user_id=user.id, role=user.role)  # type: ignore[arg-type]
