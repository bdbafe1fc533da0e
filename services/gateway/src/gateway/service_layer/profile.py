"""The signed-in user's own account: read it, change name, email or password."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from clashtor_common.errors import ApiError
from gateway.adapters.tables import Organization, User, utcnow
from gateway.bootstrap import Gateway
from gateway.domain.principal import Principal
from gateway.service_layer import rectification
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
            raise ApiError(401, "session_expired", "your account no longer exists")
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


async def update_me(
    gw: Gateway,
    principal: Principal,
    *,
    name: str | None,
    email: str | None,
    password: str | None,
    current_password: str | None,
) -> set[str]:
    """Name changes freely; email and password need the current password.

    Returns the personal fields that changed (``name``, ``email``); a rectification for
    them is recorded in the same transaction (see ``service_layer.rectification``)."""
    new_email = checked_email(email) if email is not None else None
    if password is not None:
        checked_password(password)
    new_hash = gw.passwords.hash(password) if password is not None else None
    try:
        async with gw.db.session() as session:
            user = await session.get(User, principal.user_id)
            if user is None or user.org_id != principal.org_id:
                raise ApiError(401, "session_expired", "your account no longer exists")
            sensitive = (new_email is not None and new_email != user.email) or new_hash is not None
            if sensitive:
                if not current_password:
                    raise ApiError(  # re-authentication, like a sudo prompt
                        403,
                        "current_password_required",
                        "changing email or password needs current_password",
                    )
                if not gw.passwords.verify(user.password_hash, current_password):
                    raise ApiError(403, "wrong_password", "current_password is wrong")
            changed: set[str] = set()
            previous_email = user.email
            new_name = checked_name(name) if name is not None else None
            if new_name is not None and new_name != user.name:
                user.name = new_name
                changed.add("name")
            if new_email is not None and new_email != user.email:
                if await email_taken(session, new_email, except_user=user.id):
                    raise ApiError(409, "email_taken", "another account uses this email")
                user.email = new_email
                user.email_fingerprint = email_fingerprint(gw, new_email)
                changed.add("email")
            if new_hash is not None:
                user.password_hash = new_hash
                keep = principal.credential_id if principal.via == "session" else None
                await revoke_credentials(session, user.id, keep_session=keep, keep_api_keys=True)
            user.updated_at = utcnow()
            await rectification.record_change(session, user, changed, previous_email)
    except IntegrityError as exc:
        raise ApiError(409, "email_taken", "another account uses this email") from exc
    return changed
