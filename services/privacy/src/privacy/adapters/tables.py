"""The privacy service's tables. Every row carries ``org_id``; no row holds an email or a name.

Subjects are kept as type + id and/or the keyed email fingerprint (``subject_key``
is the one lookup key: ``id:<id>`` or ``fp:<fingerprint>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index),
    )


class PrivacyRequest(SQLModel, table=True):
    """One data-subject request (export, erasure, rectification, restriction, objection)."""

    __tablename__ = "privacy_requests"

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(index=True, max_length=200)
    kind: str = Field(max_length=20, index=True)
    status: str = Field(max_length=20, index=True)
    subject_type: str = Field(max_length=20)
    subject_id: str | None = Field(default=None, max_length=200)
    subject_fingerprint: str | None = Field(default=None, max_length=64)
    subject_key: str = Field(max_length=220, index=True)
    requested_by: str = Field(max_length=200, index=True)
    requested_role: str = Field(max_length=20)
    include_audio: bool = False
    created_at: datetime = _ts(nullable=False, index=True)
    updated_at: datetime = _ts(nullable=False)
    completed_at: datetime | None = _ts()
    failure: str | None = Field(default=None, max_length=1000)
    object_key: str | None = Field(
        default=None, max_length=400, description="rectification claim check or export bundle"
    )
    bundle_sha256: str | None = Field(default=None, max_length=64)
    bundle_expired_at: datetime | None = _ts()


class Acknowledgement(SQLModel, table=True):
    """One service's answer to one erasure or export request (a row per expected service)."""

    __tablename__ = "privacy_acknowledgements"
    __table_args__ = (UniqueConstraint("request_id", "service", name="uq_ack_request_service"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(index=True, max_length=36, foreign_key="privacy_requests.id")
    org_id: str = Field(index=True, max_length=200)
    service: str = Field(max_length=100)
    status: str = Field(max_length=20, index=True)
    attempts: int = 1
    last_sent_at: datetime = _ts(nullable=False, index=True)
    answered_at: datetime | None = _ts()
    event_id: str | None = Field(default=None, max_length=36)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    part_bucket: str | None = Field(default=None, max_length=255)
    part_key: str | None = Field(default=None, max_length=1024)


class ErasureCertificate(SQLModel, table=True):
    """The completion record of an erasure, its SHA-256 digest and Ed25519 signature."""

    __tablename__ = "privacy_erasure_certificates"

    request_id: str = Field(primary_key=True, max_length=36, foreign_key="privacy_requests.id")
    org_id: str = Field(index=True, max_length=200)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    digest: str = Field(max_length=64)
    signature: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """``{algorithm, key_id, value}``; null only for certificates issued before signing."""
    issued_at: datetime = _ts(nullable=False)


class Tombstone(SQLModel, table=True):
    """A subject whose erasure completed: ids and fingerprints only, kept as proof."""

    __tablename__ = "privacy_tombstones"

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=200)
    subject_type: str = Field(max_length=20)
    subject_id: str | None = Field(default=None, max_length=200)
    subject_fingerprint: str | None = Field(default=None, max_length=64)
    subject_key: str = Field(max_length=220, index=True)
    request_id: str = Field(max_length=36, unique=True)
    erased_at: datetime = _ts(nullable=False)


class SubjectFlags(SQLModel, table=True):
    """Restriction (store, do not process) and objection (no analytics) per subject."""

    __tablename__ = "privacy_subject_flags"
    __table_args__ = (UniqueConstraint("org_id", "subject_type", "subject_key", name="uq_flags"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=200)
    subject_type: str = Field(max_length=20)
    subject_id: str | None = Field(default=None, max_length=200)
    subject_fingerprint: str | None = Field(default=None, max_length=64)
    subject_key: str = Field(max_length=220)
    restricted: bool = False
    objected: bool = False
    updated_at: datetime = _ts(nullable=False)


class AccountDeletion(SQLModel, table=True):
    """An organization's deletion: inaccessible at once, restorable until ``restorable_until``."""

    __tablename__ = "privacy_account_deletions"

    org_id: str = Field(primary_key=True, max_length=200)
    deleted_at: datetime = _ts(nullable=False)
    deleted_by: str = Field(max_length=200)
    restorable_until: datetime = _ts(nullable=False, index=True)
    restored_at: datetime | None = _ts()
    purge_request_id: str | None = Field(default=None, max_length=36)
    purged_at: datetime | None = _ts()


class AuditEntry(SQLModel, table=True):
    """Who asked for what and when: ids and roles, never an email."""

    __tablename__ = "privacy_audit_log"

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True, max_length=200)
    at: datetime = _ts(nullable=False)
    actor_id: str = Field(max_length=200)
    actor_role: str = Field(max_length=20)
    action: str = Field(max_length=60)
    request_id: str | None = Field(default=None, max_length=36, index=True)
    subject_type: str | None = Field(default=None, max_length=20)
    subject_id: str | None = Field(default=None, max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RetentionPolicy(SQLModel, table=True):
    """An organization's retention schedule, applied daily by the scheduler."""

    __tablename__ = "privacy_retention_policies"

    org_id: str = Field(primary_key=True, max_length=200)
    call_retention_days: int | None = None
    updated_at: datetime = _ts(nullable=False)
    updated_by: str = Field(max_length=200)


class RetainedCall(SQLModel, table=True):
    """A call privacy learned of from ``call-uploaded``, kept only to apply retention.

    ``subjects`` are the ``type|key`` of everyone the call is about (the call, its
    uploader, each participant by id, user id and email fingerprint), so a restriction
    of any of them holds the call. The row goes when the call or one of them is erased.
    """

    __tablename__ = "privacy_calls"

    org_id: str = Field(primary_key=True, max_length=200)
    call_id: str = Field(primary_key=True, max_length=200)
    uploaded_at: datetime = _ts(nullable=False, index=True)
    subjects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


TABLES: tuple[type[SQLModel], ...] = (
    PrivacyRequest,
    Acknowledgement,
    ErasureCertificate,
    Tombstone,
    SubjectFlags,
    AccountDeletion,
    AuditEntry,
    RetentionPolicy,
    RetainedCall,
)
