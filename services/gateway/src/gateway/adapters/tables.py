"""The gateway's tables: accounts, sessions, keys, invitations, notifications, usage.

Every row carries ``org_id`` and every query filters on it. Secrets are stored only
as hashes. Personal data (names, emails, organization names) is sealed at rest
(``SealedText``, AES-256-GCM under the subject's data key, see ``adapters.sealed``) in
``*_sealed`` columns;
users and invitations are found by the keyed ``email_fingerprint`` beside the sealed
email, which is also how a privacy request that names an email finds them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from clashtor_common.db import timestamp_column, utcnow
from gateway.adapters.sealed import (
    GatewayDataKey,
    SealedText,
    invitation_key,
    organization_key,
    sealed_under,
    user_key,
)


def new_id() -> str:
    return str(uuid.uuid4())


class OrgRow(SQLModel):
    """A row of one organization, under an id made here: the two columns every such table
    starts with (``org_id`` indexed, since every query filters on it)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    org_id: str = Field(index=True, max_length=36)


@sealed_under(lambda org: organization_key(org.id))
class Organization(SQLModel, table=True):
    __tablename__ = "gateway_organizations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(sa_column=Column("name_sealed", SealedText(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    deletion_requested_at: datetime | None = Field(
        default=None, sa_column=timestamp_column(nullable=True)
    )


@sealed_under(lambda user: user_key(user.id))
class User(OrgRow, table=True):
    __tablename__ = "gateway_users"

    name: str = Field(sa_column=Column("name_sealed", SealedText(), nullable=False))
    email: str = Field(sa_column=Column("email_sealed", SealedText(), nullable=False))
    email_fingerprint: str = Field(unique=True, max_length=64)
    """Keyed hash of the normalized email: the sign-in lookup and the unique address."""
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    manager_id: str | None = Field(default=None, index=True, max_length=36)
    analytics_opt_out: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class AuthSession(OrgRow, table=True):
    """A signed-in browser: the cookie holds the token, this row holds its hash."""

    __tablename__ = "gateway_sessions"

    token_hash: str = Field(max_length=64, unique=True)
    user_id: str = Field(index=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class ApiKey(OrgRow, table=True):
    __tablename__ = "gateway_api_keys"

    user_id: str = Field(index=True, max_length=36)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    last_used_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


@sealed_under(lambda invitation: invitation_key(invitation.id))
class Invitation(OrgRow, table=True):
    __tablename__ = "gateway_invitations"

    email: str = Field(sa_column=Column("email_sealed", SealedText(), nullable=False))
    email_fingerprint: str = Field(index=True, max_length=64)
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by: str = Field(max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column())
    accepted_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class Notification(OrgRow, table=True):
    __tablename__ = "gateway_notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "call_id", name="uq_gateway_notification"),
    )

    user_id: str = Field(index=True, max_length=36)
    kind: str = Field(max_length=40)
    call_id: str | None = Field(default=None, index=True, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    read_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class UsageEvent(SQLModel, table=True):
    """One authenticated request: which feature, by whom (ids only), with what outcome."""

    __tablename__ = "gateway_usage_events"
    __table_args__ = (Index("ix_gateway_usage_org_at", "org_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(max_length=36)
    user_id: str | None = Field(default=None, index=True, max_length=36)
    method: str = Field(max_length=10)
    route: str = Field(max_length=200)
    status: int
    via: str = Field(max_length=10)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class LoginAttempt(SQLModel, table=True):
    """A failed login, keyed by a keyed hash of the account or the client address."""

    __tablename__ = "gateway_login_attempts"
    __table_args__ = (Index("ix_gateway_login_attempts_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class RequestTrail(OrgRow):
    """What a privacy request (an export or an erasure) left here, as ids only."""

    request_id: str = Field(index=True, max_length=64)
    user_ids: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)


class ExportObject(RequestTrail, table=True):
    """An export part this service wrote to S3, so an erasure can delete it too."""

    __tablename__ = "gateway_export_objects"

    object_key: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ErasureTombstone(RequestTrail, table=True):
    """What an erasure removed, as ids only: the audit trail that holds no personal data."""

    __tablename__ = "gateway_erasure_tombstones"

    subject_type: str = Field(max_length=20)
    removed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    erased_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


@sealed_under(lambda row: user_key(row.user_id))
class PendingRectification(SQLModel, table=True):
    """A name or email change privacy has not taken yet, so every other copy gets it too.

    Written in the same transaction as the change, deleted once privacy accepted it (or
    with the user). The new values are read from the user row when sent, so the latest
    change wins; ``previous_email`` is the address the user had before, by which other
    services (ingest's call participants, billing's Stripe contact) know them.
    """

    __tablename__ = "gateway_pending_rectifications"

    user_id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(index=True, max_length=36)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    previous_email: str = Field(
        sa_column=Column("previous_email_sealed", SealedText(), nullable=False)
    )
    revision: int = 1
    """Bumped by every further change: a delivery removes the row only if none came since."""
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow,
        sa_column=timestamp_column(index=True),
    )
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


@sealed_under(lambda row: user_key(row.user_id))
class EmailChange(SQLModel, table=True):
    """A requested change of sign-in address, waiting for the link sent to the new one.

    Until it is confirmed the user keeps the old address everywhere (sign-in, privacy
    rights, other services' copies): an unproven address must not become "theirs".
    One per user; a new request replaces it. The token is stored only as its hash.
    """

    __tablename__ = "gateway_email_changes"

    user_id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(index=True, max_length=36)
    new_email: str = Field(sa_column=Column("new_email_sealed", SealedText(), nullable=False))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=timestamp_column())


class IdempotencyRecord(SQLModel, table=True):
    """A POST sent with an ``Idempotency-Key``: what it asked (hash) and what it got.

    ``scope`` is a hash of the credential that sent it, so a key is only ever replayed to
    the caller who used it. ``status_code`` is None while the first request is running.
    The body is sealed: a created resource may carry personal data (a title, names)."""

    __tablename__ = "gateway_idempotency_keys"

    scope: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    body: str | None = Field(
        default=None, sa_column=Column("body_sealed", SealedText(subject_keyed=False))
    )
    content_type: str | None = Field(default=None, max_length=100)
    location: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


TABLES: tuple[type[SQLModel], ...] = (
    Organization,
    User,
    AuthSession,
    ApiKey,
    Invitation,
    Notification,
    UsageEvent,
    LoginAttempt,
    ExportObject,
    ErasureTombstone,
    PendingRectification,
    EmailChange,
    IdempotencyRecord,
    GatewayDataKey,
)
