"""The ingest service's tables. Personal data (titles, names, emails) is stored encrypted.

Emails are also kept as a keyed fingerprint (HMAC) so a participant can be found for
erasure, export or rectification without decrypting every row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from clashtor_common.datakeys import key_table_model
from clashtor_common.db import timestamp_column, utcnow
from clashtor_common.tombstones import TombstoneColumns


def _owned_by(parent: str, *, index: bool = False, primary_key: bool = False) -> Column[str]:
    """A required id column pointing at ``parent`` (``table.column``): deleting the parent
    row deletes this one."""
    return Column(
        String(36),
        ForeignKey(parent, ondelete="CASCADE"),
        nullable=False,
        index=index,
        primary_key=primary_key,
    )


class CallRecord(SQLModel, table=True):
    """One uploaded call: metadata, where its encrypted audio lives, and its status."""

    __tablename__ = "ingest_calls"
    __table_args__ = (
        # One copy of the same bytes per uploader: a duplicate of a call the uploader may
        # not see is a new call of theirs (never the other call), see service_layer.uploads.
        UniqueConstraint(
            "org_id", "uploader_id", "content_hash", name="uq_ingest_calls_org_uploader_content"
        ),
        Index("ix_ingest_calls_org_created", "org_id", "created_at", "id"),
        # One call per source (a Zoom recording file) in an org; NULL for a user's upload.
        UniqueConstraint("org_id", "source_ref", name="uq_ingest_calls_org_source"),
    )

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    uploader_id: str = Field(max_length=100, index=True)
    title_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    status: str = Field(max_length=20)
    progress_percent: int | None = Field(
        default=None, description="how much of the transcription is done, while transcribing"
    )
    failed_stage: str | None = Field(default=None, max_length=20)
    failure_code: str | None = Field(default=None, max_length=100)
    failure_reason: str | None = Field(default=None, max_length=1000)
    duration: float
    channels: int
    sample_rate: int
    audio_format: str = Field(max_length=20, description="format of the stored audio")
    source_format: str = Field(max_length=20, description="format of the uploaded file")
    codec: str = Field(max_length=40)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    """Plaintext size of the stored audio."""
    upload_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    """Size of the file as uploaded (a video upload stores only its audio)."""
    s3_key: str = Field(max_length=300)
    content_hash: str = Field(max_length=64, description="org-keyed HMAC of the upload's sha256")
    processing_restricted: bool = False
    language: str | None = Field(
        default=None, max_length=3, description="set at upload (ISO 639-1); None = detect"
    )
    source_ref: str | None = Field(
        default=None, max_length=200, description="what an internal upload came from"
    )
    """``zoom:<recording file id>`` for a Zoom import (``X-Clashtor-Source``), else None."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    transcribed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    scored_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    overall_score: float | None = None
    """The call's score as ``call-scored`` last announced it (a manager's review included),
    for the calls list."""


class ParticipantRecord(SQLModel, table=True):
    """A person on a call; name and email encrypted, email also as a fingerprint."""

    __tablename__ = "ingest_participants"

    id: str = Field(primary_key=True, max_length=36)
    call_id: str = Field(sa_column=_owned_by("ingest_calls.id", index=True))
    org_id: str = Field(max_length=100, index=True)
    position: int = 0
    role: str = Field(max_length=20)
    name_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    email_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    email_fingerprint: str | None = Field(default=None, max_length=64, index=True)


class CallTrackerRecord(SQLModel, table=True):
    """Projection of ``call-scored``'s tracker names: which trackers a call mentions.

    Score owns the hits; ingest keeps only the names (casefolded) so the calls list can
    filter by tracker in SQL, next to the other filters. A re-score replaces them."""

    __tablename__ = "ingest_call_trackers"
    __table_args__ = (Index("ix_ingest_call_trackers_org_tracker", "org_id", "tracker"),)

    call_id: str = Field(sa_column=_owned_by("ingest_calls.id", primary_key=True))
    tracker: str = Field(primary_key=True, max_length=80)
    org_id: str = Field(max_length=100)


class PlanRecord(SQLModel, table=True):
    """Projection of billing's latest ``subscription-changed`` per organization."""

    __tablename__ = "ingest_plans"

    org_id: str = Field(primary_key=True, max_length=100)
    plan: str = Field(max_length=100)
    status: str = Field(max_length=40)
    included_minutes: int
    seats: int
    max_upload_mb: int | None = None
    period_start: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    period_end: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    grace_until: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    stripe_updated: int = 0
    event_time: datetime = Field(sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ErasedCall(TombstoneColumns, table=True):
    """Tombstone of an erased call: ids and numbers only, never content.

    Lets a late or replayed event about the call be recognised and ignored, and keeps
    the minutes it used counted against the period's quota.
    """

    __tablename__ = "ingest_erased_calls"
    __table_args__ = (Index("ix_ingest_erased_calls_org_source", "org_id", "source_ref"),)

    call_id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    duration: float = 0.0
    source_ref: str | None = Field(default=None, max_length=200)
    """The erased call's source (a Zoom file id, no content): a re-import of it is refused."""
    uploaded_at: datetime = Field(sa_column=timestamp_column(index=True))


class ErasedFingerprint(TombstoneColumns, table=True):
    """Tombstone of an erased participant (their email fingerprint only)."""

    __tablename__ = "ingest_erased_fingerprints"

    org_id: str = Field(primary_key=True, max_length=100)
    fingerprint: str = Field(primary_key=True, max_length=64)


class ErasedUser(TombstoneColumns, table=True):
    """Tombstone of an erased user (their id only): ingest refuses their uploads from
    then on, such as a Zoom import that was on its way when they were erased."""

    __tablename__ = "ingest_erased_users"

    org_id: str = Field(primary_key=True, max_length=100)
    user_id: str = Field(primary_key=True, max_length=100)


class ErasedOrganization(TombstoneColumns, table=True):
    """Tombstone of an erased organization (its id only): an upload that was on its way
    when the organization was erased is refused instead of making a call in it."""

    __tablename__ = "ingest_erased_organizations"

    org_id: str = Field(primary_key=True, max_length=100)


class RestrictionRecord(SQLModel, table=True):
    """Restriction/objection flags per participant fingerprint (from ``subject-restricted``)."""

    __tablename__ = "ingest_restrictions"

    org_id: str = Field(primary_key=True, max_length=100)
    fingerprint: str = Field(primary_key=True, max_length=64)
    restricted: bool = False
    objected: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class PlaylistRecord(SQLModel, table=True):
    """A playlist of the call library ("best discovery calls"), shared inside its org.

    Its title and creator are organization data: erasing the creator keeps the playlist
    (``created_by`` becomes None); erasing the organization removes it."""

    __tablename__ = "ingest_playlists"
    __table_args__ = (Index("ix_ingest_playlists_org_created", "org_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100)
    title: str = Field(max_length=200)
    created_by: str | None = Field(default=None, max_length=100, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class PlaylistItemRecord(SQLModel, table=True):
    """A whole call, or a clip of it (``start``–``end`` seconds), at a place in a playlist.

    Erasing the call removes the item (``service_layer.privacy.erase_subject``)."""

    __tablename__ = "ingest_playlist_items"
    __table_args__ = (Index("ix_ingest_playlist_items_playlist", "playlist_id", "position"),)

    id: str = Field(primary_key=True, max_length=36)
    playlist_id: str = Field(sa_column=_owned_by("ingest_playlists.id"))
    org_id: str = Field(max_length=100)
    call_id: str = Field(sa_column=_owned_by("ingest_calls.id", index=True))
    position: int = 0
    start: float | None = None
    end: float | None = None
    added_by: str | None = Field(default=None, max_length=100)
    added_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


DataKeyRecord = key_table_model("ingest")
"""``ingest_data_keys``: ``call:<id>`` seals a call's audio and title, ``participant:<id>``
a participant's name and email; erasure destroys them before anything else."""


TABLES: tuple[type[SQLModel], ...] = (
    DataKeyRecord,
    CallRecord,
    ParticipantRecord,
    CallTrackerRecord,
    PlanRecord,
    ErasedCall,
    ErasedFingerprint,
    ErasedUser,
    ErasedOrganization,
    RestrictionRecord,
    PlaylistRecord,
    PlaylistItemRecord,
)
