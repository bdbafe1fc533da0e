"""The transcribe service's tables. The transcript itself is stored encrypted, never plain.

Besides the transcripts, the service keeps only ids, keyed fingerprints and numbers:
who took part (for erasure by participant), which calls and subjects were erased
(tombstones, so a replayed ``call-uploaded`` yields nothing), and which participants
asked for restriction of processing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from clashtor_common.datakeys import key_table_model
from clashtor_common.db import timestamp_column, utcnow
from clashtor_common.tombstones import TombstoneColumns


class TranscriptRecord(SQLModel, table=True):
    """What became of one uploaded call here: transcribed, restricted or failed.

    ``transcript_enc`` is ``Keyring.encrypt(transcript JSON, aad=call id)``; the same
    bytes are the S3 object at ``s3_key`` that ``call-transcribed`` links to.
    """

    __tablename__ = "transcribe_transcripts"
    __table_args__ = (Index("ix_transcribe_transcripts_org_uploader", "org_id", "uploader_id"),)

    call_id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    uploader_id: str = Field(max_length=100)
    status: str = Field(max_length=20, description="transcribed | restricted | failed")
    failure_code: str | None = Field(default=None, max_length=100)
    failure_reason: str | None = Field(default=None, max_length=1000)
    engine: str | None = Field(default=None, max_length=20)
    model: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=20)
    duration: float | None = None
    channels: int | None = None
    speakers: int | None = None
    word_count: int | None = None
    transcript_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    s3_key: str | None = Field(default=None, max_length=300)
    uploaded_at: datetime = Field(
        sa_column=timestamp_column(), description="time of the call-uploaded event"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class TranscriptParticipant(SQLModel, table=True):
    """A participant of a call as the event named them: ids and email fingerprint only."""

    __tablename__ = "transcribe_participants"

    call_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("transcribe_transcripts.call_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    participant_id: str = Field(primary_key=True, max_length=100)
    org_id: str = Field(max_length=100, index=True)
    role: str = Field(max_length=20)
    fingerprint: str | None = Field(default=None, max_length=64, index=True)


class ErasedCall(TombstoneColumns, table=True):
    """Tombstone of an erased call (its id only): a replayed upload of it does nothing."""

    __tablename__ = "transcribe_erased_calls"

    call_id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)


class ErasedSubject(SQLModel, table=True):
    """An erasure of a participant, user or organization, with the time it was requested.

    ``call-uploaded`` and ``erasure-requested`` travel on different topics, so an upload
    made before the erasure may arrive after it. Such an upload about an erased subject
    (``uploaded_at <= requested_at``) is tombstoned instead of transcribed; a later
    upload is a new recording and is processed.
    """

    __tablename__ = "transcribe_erased_subjects"

    org_id: str = Field(primary_key=True, max_length=100)
    subject_type: str = Field(primary_key=True, max_length=20)
    subject_key: str = Field(primary_key=True, max_length=100, description="id or fingerprint")
    request_id: str = Field(max_length=100)
    requested_at: datetime = Field(sa_column=timestamp_column())


class Restriction(SQLModel, table=True):
    """A participant (email fingerprint) who asked for restriction of processing."""

    __tablename__ = "transcribe_restrictions"

    org_id: str = Field(primary_key=True, max_length=100)
    fingerprint: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class TranscriptionJob(SQLModel, table=True):
    """A ``call-uploaded`` admitted for transcription, waiting its organization's turn.

    Written in the same transaction as the event's inbox record, deleted in the same
    transaction as the transcript and its ``call-transcribed`` (or ``call-failed``): a
    job is either queued or done, never lost nor done twice. A worker holds it by a
    lease (``leased_until``, renewed while it works); a worker killed mid-call leaves the
    lease to run out, and the job is picked again. ``lease_token`` is new at each claim
    and fences the holder's writes: a worker whose lease was taken over writes nothing.
    ``envelope`` is the event as received (ids, object references and fingerprints
    only: events carry no personal data).
    """

    __tablename__ = "transcribe_jobs"
    __table_args__ = (Index("ix_transcribe_jobs_org_queued", "org_id", "queued_at"),)

    call_id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100)
    event_id: str = Field(max_length=36)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    trace: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="the admitting handler's trace context: the work continues its trace",
    )
    queued_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    leased_until: datetime | None = Field(
        default=None, sa_column=timestamp_column(nullable=True, index=True)
    )
    lease_token: str | None = Field(
        default=None, max_length=32, description="the current claim's fence (adapters.queue)"
    )
    attempts: int = Field(default=0, description="failures so far (not counting lost leases)")
    last_error: str | None = Field(default=None, max_length=500)


class JobSubject(SQLModel, table=True):
    """Whom a queued job is about: its uploader (``user``) and each participant's id and
    email fingerprint (``participant``), the keys an erasure names. An erasure finds the
    subject's queued calls by this index instead of reading every queued event of the
    organization. Deleted with its job (``ON DELETE CASCADE``)."""

    __tablename__ = "transcribe_job_subjects"
    __table_args__ = (
        Index("ix_transcribe_job_subjects_subject", "org_id", "subject_type", "subject_key"),
    )

    call_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("transcribe_jobs.call_id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    subject_type: str = Field(primary_key=True, max_length=20, description="user | participant")
    subject_key: str = Field(primary_key=True, max_length=100, description="id or fingerprint")
    org_id: str = Field(max_length=100)


class OrgTurn(SQLModel, table=True):
    """When an organization's job was last started: organizations take turns by it."""

    __tablename__ = "transcribe_org_turns"

    org_id: str = Field(primary_key=True, max_length=100)
    served_at: datetime = Field(sa_column=timestamp_column())


DataKeyRecord = key_table_model("transcribe")
"""``transcribe_data_keys``: ``call:<id>`` seals the call's transcript (row and S3 object);
erasure destroys it first."""


TABLES: tuple[type[SQLModel], ...] = (
    DataKeyRecord,
    TranscriptRecord,
    TranscriptParticipant,
    ErasedCall,
    ErasedSubject,
    Restriction,
    TranscriptionJob,
    JobSubject,
    OrgTurn,
)
