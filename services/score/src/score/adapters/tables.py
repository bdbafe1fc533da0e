"""The score service's tables.

What a call's score holds that came from the transcript (evidence quotes, tracker hits,
coaching points) lives only inside ``result_enc``; the transcript itself, kept so a
call can be re-scored after a scorecard edit or a role correction, only inside
``transcript_enc``. Both are AES-256-GCM envelope-encrypted. The plain columns are ids,
numbers and names of our own rules, for queries and aggregates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from clashtor_common.datakeys import key_table_model
from clashtor_common.db import timestamp_column, utcnow
from clashtor_common.tombstones import TombstoneColumns


class CallScoreRecord(SQLModel, table=True):
    """One call's current score (or why it could not be scored)."""

    __tablename__ = "score_calls"
    __table_args__ = (Index("ix_score_calls_org_uploader", "org_id", "uploader_id"),)

    org_id: str = Field(primary_key=True, max_length=100)
    call_id: str = Field(primary_key=True, max_length=100)
    uploader_id: str = Field(max_length=100)
    status: str = Field(max_length=20, description="scored | failed")
    failure_code: str | None = Field(default=None, max_length=100)
    failure_reason: str | None = Field(default=None, max_length=1000)
    overall_score: float | None = None
    scorecard_id: str | None = Field(default=None, max_length=36, index=True)
    scorecard_name: str | None = Field(default=None, max_length=120)
    scorecard_version: int | None = None
    engine: str | None = Field(default=None, max_length=20)
    model: str | None = Field(default=None, max_length=100)
    fallback: bool = False
    scorer_version: str | None = Field(default=None, max_length=20)
    language: str | None = Field(default=None, max_length=20)
    duration: float | None = None
    speakers: int | None = None
    talk_ratio_rep: float | None = None
    rep_questions: float | None = None
    longest_monologue_s: float | None = None
    patience_s: float | None = None
    role_override: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    """A user's correction (speaker label → rep/customer): labels and roles only."""
    automatic_score: float | None = None
    """The engine's overall score; ``overall_score`` is it with a review's overrides applied."""
    item_overrides: dict[str, float] | None = Field(default=None, sa_column=Column(JSON))
    """The review's current overrides (item key → score 0–1); who, when and why live in
    ``score_item_reviews``."""
    result_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    transcript_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    source_event_id: str | None = Field(default=None, max_length=36)
    times_scored: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    scored_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class CallParticipantRecord(SQLModel, table=True):
    """A participant of a scored call as events name them: ids, role, email fingerprint.

    Kept to find a participant's calls for erasure and export, and to give the role
    inference the participant list again when a call is re-scored.
    """

    __tablename__ = "score_call_participants"
    __table_args__ = (Index("ix_score_call_participants_call", "org_id", "call_id"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(max_length=100)
    call_id: str = Field(max_length=100)
    participant_id: str = Field(max_length=100)
    role: str = Field(max_length=20)
    fingerprint: str | None = Field(default=None, max_length=64, index=True)
    user_id: str | None = Field(default=None, max_length=100, index=True)


class OrgScoringRecord(SQLModel, table=True):
    """Per organization: which scorecard is active, and whether it edited its trackers.

    Until an organization touches its trackers it uses the built-in defaults; the first
    tracker request copies them into rows it can edit (``own_trackers``).
    """

    __tablename__ = "score_orgs"

    org_id: str = Field(primary_key=True, max_length=100)
    active_scorecard_id: str | None = Field(default=None, max_length=36)
    own_trackers: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class TrackerRecord(SQLModel, table=True):
    __tablename__ = "score_trackers"
    __table_args__ = (UniqueConstraint("org_id", "name_key", name="uq_score_trackers_org_name"),)

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=80, description="case-folded name: names are unique")
    phrases: list[str] = Field(sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    said_by: str = Field(default="any", max_length=20)
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ScorecardRecord(SQLModel, table=True):
    __tablename__ = "score_scorecards"

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100, index=True)
    name: str = Field(max_length=120)
    methodology: str = Field(max_length=60)
    template: str | None = Field(default=None, max_length=40)
    version: int = 1
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ErasedCallRecord(TombstoneColumns, table=True):
    """Tombstone of an erased call (ids only): a replayed call-transcribed does nothing."""

    __tablename__ = "score_erased_calls"

    org_id: str = Field(primary_key=True, max_length=100)
    call_id: str = Field(primary_key=True, max_length=100)


class _SubjectRow(SQLModel):
    """A row about one subject of the organization, named by ``kind`` and ``value`` (ids
    and email fingerprints only), and the privacy request it came from."""

    org_id: str = Field(primary_key=True, max_length=100)
    kind: str = Field(primary_key=True, max_length=20)
    value: str = Field(primary_key=True, max_length=100)
    request_id: str = Field(max_length=100)


class ErasedSubjectRecord(_SubjectRow, table=True):
    """An erased participant (fingerprint), user or organization: ``kind`` is fingerprint,
    participant, user or org.

    A call-transcribed still in flight when its participant, uploader or organization
    was erased names a call we never saw; this is how it is recognised and dropped.
    """

    __tablename__ = "score_erased_subjects"

    erased_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ObjectionRecord(_SubjectRow, table=True):
    """A subject who objected to analytics: their calls stay out of every aggregate.
    ``kind`` is call, fingerprint, participant, user or org."""

    __tablename__ = "score_objections"

    objected_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class CommentRecord(SQLModel, table=True):
    """A comment pinned to a moment of a call, or a reply in its thread.

    The body (text and mentions) is sealed under the call's data key, so the call's
    erasure shreds it; the mentioned user ids stay plain for the user's erasure to find.
    """

    __tablename__ = "score_comments"
    __table_args__ = (
        Index("ix_score_comments_call", "org_id", "call_id", "at_seconds", "created_at"),
        Index("ix_score_comments_author", "org_id", "author_id"),
    )

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100)
    call_id: str = Field(max_length=100)
    parent_id: str | None = Field(default=None, max_length=36, index=True)
    author_id: str | None = Field(default=None, max_length=100)
    """None once the author was erased (the thread's replies stay)."""
    at_seconds: float
    body_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    """None for a removed comment kept as the root of replies."""
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    edited_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class ItemReviewRecord(SQLModel, table=True):
    """One override of a scorecard item by a reviewer, or its revert: the audit trail.

    The active override of an item is its latest row not reverted; the reason is sealed
    under the call's data key.
    """

    __tablename__ = "score_item_reviews"
    __table_args__ = (Index("ix_score_item_reviews_call", "org_id", "call_id", "item"),)

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100)
    call_id: str = Field(max_length=100)
    item: str = Field(max_length=64)
    score: float
    automatic_score: float | None = None
    reason_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reviewer_id: str | None = Field(default=None, max_length=100, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    reverted_by: str | None = Field(default=None, max_length=100)
    reverted_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class RescoreJobRecord(SQLModel, table=True):
    """Re-scoring an organization's past calls after its trackers or a scorecard changed.

    The calls are walked in call-id order: ``last_call_id`` is how far the job got, moved
    in the same transaction as the re-scored results, so a restart (even ``kill -9``)
    resumes after the last committed batch and never counts a call twice. Only calls
    scored before ``cutoff`` belong to the job (newer ones were scored with the new rules).
    """

    __tablename__ = "score_rescore_jobs"
    __table_args__ = (Index("ix_score_rescore_jobs_org_created", "org_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(max_length=100)
    scorecard_id: str | None = Field(
        default=None, max_length=36, description="only the calls scored with it; None = all"
    )
    reason: str = Field(max_length=20, description="trackers | scorecard")
    status: str = Field(max_length=20, index=True, description="running | completed | superseded")
    total: int = 0
    done: int = 0
    rescored: int = 0
    last_call_id: str = Field(default="", max_length=100)
    cutoff: datetime = Field(sa_column=timestamp_column())
    created_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


DataKeyRecord = key_table_model("score")
"""``score_data_keys``: ``call:<id>`` seals the call's stored result and transcript, its
comments' bodies and its reviews' reasons; erasure destroys it first."""


TABLES: tuple[type[SQLModel], ...] = (
    DataKeyRecord,
    CallScoreRecord,
    CallParticipantRecord,
    OrgScoringRecord,
    TrackerRecord,
    ScorecardRecord,
    ErasedCallRecord,
    ErasedSubjectRecord,
    ObjectionRecord,
    CommentRecord,
    ItemReviewRecord,
    RescoreJobRecord,
)
