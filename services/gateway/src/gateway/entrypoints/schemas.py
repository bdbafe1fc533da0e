"""Request and response models of the public API (``/v1``), as the OpenAPI document shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from clashtor_common.contracts import InModel, at_least_one_of
from clashtor_common.pagination import Page
from gateway.domain.credentials import (
    EMAIL_MAX,
    EMAIL_PATTERN,
    NO_NUL_PATTERN,
    NOT_BLANK_PATTERN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    TEXT_PATTERN,
)

RoleName = Literal["owner", "admin", "manager", "rep", "compliance"]
NOT_BLANK = NOT_BLANK_PATTERN
Name = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
Email = Field(max_length=EMAIL_MAX, pattern=EMAIL_PATTERN, examples=["ada@example.com"])
Password = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, pattern=NOT_BLANK)


# --- errors -----------------------------------------------------------------------------


class FieldError(BaseModel):
    field: str = Field(description="dotted path in its location, e.g. participants.0.email")
    location: Literal["body", "query", "path", "header", "cookie"]
    message: str
    type: str = Field(description="machine-readable kind, e.g. missing, string_too_long")


class ErrorDetail(BaseModel):
    code: str
    message: str
    errors: list[FieldError] | None = Field(
        None, description="422 validation_error: one entry per invalid field"
    )


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorResponse, "description": "error"} for s in statuses}


COMMON_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 502, 503)


# --- accounts ---------------------------------------------------------------------------


class SignupIn(InModel):
    name: str = Name
    email: str = Email
    password: str = Password
    organization: str = Name


class LoginIn(InModel):
    email: str = Field(min_length=1, max_length=EMAIL_MAX, pattern=NO_NUL_PATTERN)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class OrganizationOut(BaseModel):
    id: str
    name: str
    deletion_requested_at: datetime | None = None


class MemberOut(BaseModel):
    id: str
    name: str
    email: str
    role: RoleName
    manager_id: str | None
    created_at: datetime


class MeOut(MemberOut):
    organization: OrganizationOut
    team_user_ids: list[str]
    pending_email: str | None = Field(
        None, description="a new address waiting for confirmation from the link mailed to it"
    )


class SessionOut(BaseModel):
    user: MeOut
    csrf_token: str = Field(description="send as X-CSRF-Token on state-changing requests")


class CsrfOut(BaseModel):
    csrf_token: str


class MeUpdateIn(InModel):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=TEXT_PATTERN)
    email: str | None = Field(None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)
    password: str | None = Field(
        None, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, pattern=NOT_BLANK
    )
    current_password: str | None = Field(
        None,
        max_length=PASSWORD_MAX,
        description="required to change email or password (403 without it)",
    )
    keep_api_keys: bool = Field(
        False, description="with a new password: keep your API keys (revoked otherwise)"
    )


class EmailConfirmIn(InModel):
    token: str = Field(min_length=1, max_length=128, pattern=NO_NUL_PATTERN)


class RoleIn(InModel):
    role: RoleName


class ManagerIn(InModel):
    manager_id: str | None = Field(
        None, max_length=64, pattern=NO_NUL_PATTERN, description="null: on no team"
    )


class InvitationIn(InModel):
    email: str = Email
    role: RoleName


class InvitationOut(BaseModel):
    id: str
    email: str
    role: RoleName
    invited_by: str
    created_at: datetime
    expires_at: datetime


class InvitationCreatedOut(InvitationOut):
    token: str = Field(description="shown once; also sent by email")
    accept_url: str


class AcceptIn(InModel):
    name: str = Name
    password: str = Password


class ApiKeyIn(InModel):
    name: str = Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)
    role: RoleName | None = Field(None, description="defaults to your role; never above it")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="the first characters of the key, e.g. ck_live_ab12")
    role: RoleName
    user_id: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="shown once: store it now")


class NotificationOut(BaseModel):
    id: str
    kind: str
    call_id: str | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class MemberPage(Page[MemberOut]):
    pass


class InvitationPage(Page[InvitationOut]):
    pass


class ApiKeyPage(Page[ApiKeyOut]):
    pass


class NotificationPage(Page[NotificationOut]):
    pass


class FeatureUsage(BaseModel):
    feature: str
    requests: int
    users: int
    errors: int


class UserUsage(BaseModel):
    user_id: str | None
    requests: int


class UsageSummaryOut(BaseModel):
    org_id: str
    since: datetime
    days: int
    requests: int
    active_users: int
    features: list[FeatureUsage]
    users: list[UserUsage]


# --- forwarded resources ----------------------------------------------------------------


class AcceptedOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    status: str | None = None


class WordOut(BaseModel):
    word: str
    start: float | None
    end: float | None
    confidence: float | None = None
    speaker: int | None = None


class UtteranceOut(BaseModel):
    speaker: int | None
    role: Literal["rep", "customer"] | None
    start: float | None
    end: float | None
    text: str
    words: list[WordOut]


class TranscriptOut(BaseModel):
    utterances: list[UtteranceOut]


class CallFailureOut(BaseModel):
    stage: str | None = None
    code: str | None = None
    reason: str | None = None


CallStatusOut = Literal["uploaded", "transcribing", "transcribed", "scoring", "scored", "failed"]
PERCENT_DOC = "while transcribing: how much of the recording is done (0-100); else null"


class CallOut(BaseModel):
    id: str
    status: CallStatusOut
    progress_percent: int | None = Field(None, description=PERCENT_DOC)
    title: str | None
    duration: float | None
    participants: list[dict[str, Any]]
    created_at: str | None = None
    uploader_id: str | None = None
    failure: CallFailureOut | None = None
    transcript: TranscriptOut | None
    metrics: dict[str, Any] | None
    trackers: list[Any] | dict[str, Any] | None
    scorecard: dict[str, Any] | None
    feedback: dict[str, Any] | None


class CallSummaryOut(BaseModel):
    """One call in a list: ingest's view of it (no transcript or score)."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: CallStatusOut
    progress_percent: int | None = Field(None, description=PERCENT_DOC)
    title: str | None = None
    duration: float | None = None
    uploader_id: str | None = None
    participants: list[dict[str, Any]] = []
    failure: CallFailureOut | None = None
    created_at: str | None = None
    overall_score: float | None = Field(
        None, description="0–100, as last scored (a manager's review included)"
    )


class CallListOut(Page[CallSummaryOut]):
    model_config = ConfigDict(extra="allow")


class ScoreFailureOut(BaseModel):
    code: str | None
    reason: str | None


class RescoredOut(BaseModel):
    """A call scored again after its roles were corrected (score's view of it)."""

    call_id: str
    status: str = Field(description="scored, or failed")
    uploader_id: str | None
    failure: ScoreFailureOut | None
    roles: dict[str, Literal["rep", "customer"]] = Field(description="speaker label → role")
    role_basis: dict[str, str] = Field(description="speaker label → how the role was decided")
    role_override: dict[str, str] | None = Field(description="the correction as you sent it")
    metrics: dict[str, Any] | None
    trackers: list[Any] | dict[str, Any] | None
    scorecard: dict[str, Any] | None
    feedback: dict[str, Any] | None
    overall_score: float | None
    engine: str | None
    model: str | None
    fallback_reason: str | None
    scorer_version: str | None
    times_scored: int
    scored_at: datetime | None


class RolesIn(InModel):
    roles: dict[str, Literal["rep", "customer"]] = Field(
        description='speaker label → role, e.g. {"0": "rep", "1": "customer"}',
        max_length=64,
    )


def refuse_null(value: object) -> object:
    """A before-validator for an optional field whose schema has no null (``X |
    SkipJsonSchema[None] = None``): only an explicit null gets here, and is refused, so the
    API accepts exactly what the OpenAPI document says; leave the field out instead."""
    if value is None:
        raise ValueError("leave the field out rather than sending null")
    return value


class _IdOrEmail(InModel):
    """A person: by id, by email, or both (at least one)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"anyOf": [{"required": ["id"]}, {"required": ["email"]}]},
    )

    id: (
        Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL_PATTERN)]
        | SkipJsonSchema[None]
    ) = None
    email: (
        Annotated[str, Field(max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)] | SkipJsonSchema[None]
    ) = None

    _no_null = field_validator("id", "email", mode="before")(refuse_null)

    _identified = at_least_one_of(
        "id", "email", message="a user or participant subject needs an id or an email"
    )


class UserSubject(_IdOrEmail):
    type: Literal["user"]


class ParticipantSubject(_IdOrEmail):
    type: Literal["participant"]


class CallSubject(InModel):
    type: Literal["call"]
    id: str = Field(min_length=1, max_length=200)


class OrganizationSubject(InModel):
    type: Literal["organization"]
    id: str | None = Field(
        None, min_length=1, max_length=200, pattern=NO_NUL_PATTERN, description="default: yours"
    )


SubjectIn = Annotated[
    UserSubject | ParticipantSubject | CallSubject | OrganizationSubject,
    Field(discriminator="type"),
]


class PrivacyRequestIn(InModel):
    subject: SubjectIn


class ExportIn(PrivacyRequestIn):
    include_audio: bool = False


class RestrictionIn(PrivacyRequestIn):
    restricted: bool = True


class ObjectionIn(PrivacyRequestIn):
    objected: bool = True


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="allow")

    service: str
    status: str
    at: datetime | str | None = None
    details: Any = None


class RequestSubjectOut(BaseModel):
    """Whom a request is about, as privacy recorded it (an id, never an email)."""

    type: str
    id: str | None = None


class PrivacyRequestOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    kind: str
    status: Literal["pending", "in_progress", "completed", "failed"]
    requested_by: str = Field(description="the user id of who made the request")
    acknowledgements: list[Acknowledgement] = []
    download_url: str | None = Field(
        None,
        description="a completed export, for its requester: GET it (signed in) for the ZIP",
    )
    download_expires_at: datetime | str | None = Field(
        None, description="after this the link answers 403; read the request for a new one"
    )
    subject: RequestSubjectOut | None = None
    created_at: datetime | str | None = None
    completed_at: datetime | str | None = None
    failure: str | None = None
    certificate_digest: str | None = Field(
        None, description="set once a completed erasure's certificate is signed"
    )


class PrivacyRequestPage(Page[PrivacyRequestOut]):
    pass


class SubjectFlagsOut(BaseModel):
    """A restriction or objection recorded: the subject's flags as they now stand."""

    id: str = Field(description="the request id (GET /v1/privacy/requests/{id})")
    subject: RequestSubjectOut
    restricted: bool
    objected: bool


class _Averages(BaseModel):
    """The averages of a set of calls (a rep's, a team's)."""

    calls: int
    average_overall_score: float | None = None
    average_talk_ratio_rep: float | None = None
    average_rep_questions: float | None = None
    average_longest_monologue_s: float | None = None
    average_patience_s: float | None = None


class RepAverages(_Averages):
    user_id: str


class TeamSummaryOut(_Averages):
    reps: list[RepAverages]


class TrendMetric(BaseModel):
    name: str
    unit: str
    recommended_min: float | None
    recommended_max: float | None


class TrendPoint(BaseModel):
    week: str = Field(description="the Monday the week starts on (UTC), YYYY-MM-DD")
    calls: int
    call_ids: list[str] = Field(description="the calls behind the point, newest first (≤ 50)")
    values: dict[str, float | None]


class RepTrend(BaseModel):
    user_id: str
    points: list[TrendPoint] = Field(description="weeks with calls only: a gap is no calls")


class TeamWeek(BaseModel):
    week: str
    reps: int
    values: dict[str, float | None] = Field(description="the median of the reps' means")


class TrendsOut(BaseModel):
    weeks: list[str]
    metrics: list[TrendMetric]
    team: list[TeamWeek]
    reps: list[RepTrend]


JsonObject = dict[str, Any]
RowId = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL_PATTERN)]
"""An id of a row the gateway owns (member, invitation, API key, notification)."""


# --- call library -----------------------------------------------------------------------


class PlaylistIn(InModel):
    title: str = Field(min_length=1, max_length=200)


class PlaylistItemIn(InModel):
    """A whole call, or a clip: ``start`` and ``end`` seconds inside the call."""

    call_id: str = Field(min_length=1, max_length=100)
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, gt=0)


class PlaylistOrderIn(InModel):
    item_ids: list[str] = Field(
        max_length=500, description="every item of the playlist once, in the new order"
    )


class PlaylistOut(BaseModel):
    id: str
    title: str
    created_by: str | None = Field(description="the creator's user id; null once erased")
    item_count: int
    can_edit: bool = Field(description="whether you may rename it, delete it, change its items")
    created_at: datetime
    updated_at: datetime


class PlaylistPage(BaseModel):
    items: list[PlaylistOut]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


class PlaylistCallOut(BaseModel):
    title: str | None
    duration: float
    status: str
    uploader_id: str


class PlaylistItemOut(BaseModel):
    id: str
    call_id: str
    start: float | None = Field(description="clip start in seconds; null: the whole call")
    end: float | None
    position: int
    added_by: str | None
    added_at: datetime
    call: PlaylistCallOut | None = Field(
        description="null when you may not see the call (a playlist grants no access)"
    )


class PlaylistItemPage(BaseModel):
    items: list[PlaylistItemOut]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


# --- coaching on a call -----------------------------------------------------------------


class TextSegmentIn(InModel):
    type: Literal["text"]
    text: str = Field(min_length=1, max_length=5000)


class MentionSegmentIn(InModel):
    type: Literal["mention"]
    user_id: str = Field(min_length=1, max_length=100, description="a member's user id")


class CommentBodyIn(InModel):
    """Text and mentions in order: a mention names a user by id, never by parsing ``@``."""

    segments: list[Annotated[TextSegmentIn | MentionSegmentIn, Field(discriminator="type")]] = (
        Field(min_length=1, max_length=200)
    )


class CommentIn(InModel):
    body: CommentBodyIn
    at_seconds: float | None = Field(
        None, ge=0, le=86_400, description="the moment of the call; required for a new thread"
    )
    parent_id: str | None = Field(
        None, min_length=1, max_length=36, description="the thread's first comment: a reply"
    )


class CommentEditIn(InModel):
    body: CommentBodyIn


class SegmentOut(BaseModel):
    type: Literal["text", "mention"]
    text: str | None = None
    user_id: str | None = Field(None, description="None for a mention of a user since erased")
    name: str | None = None


class CommentBodyOut(BaseModel):
    segments: list[SegmentOut]


class CommentOut(BaseModel):
    id: str
    call_id: str
    parent_id: str | None
    author_id: str | None
    author_name: str | None = None
    at_seconds: float
    body: CommentBodyOut
    mentions: list[str]
    created_at: datetime
    edited_at: datetime | None
    deleted: bool = Field(description="a removed first comment kept for its replies")


class ThreadOut(CommentOut):
    replies: list[CommentOut]


class ThreadPage(BaseModel):
    items: list[ThreadOut]
    next_cursor: str | None


class PersonOut(BaseModel):
    id: str
    name: str
    role: RoleName


class PersonPage(Page[PersonOut]):
    pass


class OverrideIn(InModel):
    score: float = Field(ge=0, le=1, description="the item's score: 0 not met … 1 met")
    reason: str = Field(min_length=1, max_length=1000, pattern=NOT_BLANK)


class ItemReviewOut(BaseModel):
    id: str
    item: str
    score: float
    automatic_score: float | None
    reason: str | None
    reviewer_id: str | None
    reviewer_name: str | None = None
    created_at: datetime
    reverted_by: str | None
    reverted_at: datetime | None


class ReviewOut(BaseModel):
    call_id: str
    overall_score: float | None = Field(description="the call's score, overrides applied")
    automatic_score: float | None
    overrides: list[ItemReviewOut] = Field(description="per item, the override in force")
    history: list[ItemReviewOut] = Field(description="every override and revert, oldest first")


# --- re-score jobs ----------------------------------------------------------------------


class RescoreJobIn(InModel):
    scorecard_id: str | None = Field(
        None, max_length=100, description="only calls scored with it; none: every scored call"
    )


class RescoreJobOut(BaseModel):
    id: str
    reason: Literal["trackers", "scorecard"]
    scorecard_id: str | None
    status: Literal["running", "completed", "superseded"]
    total: int = Field(description="past calls the job covers")
    done: int
    rescored: int = Field(description="calls re-scored (the rest were erased or failed)")
    percent: int = Field(ge=0, le=100)
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class RescoreJobPage(BaseModel):
    items: list[RescoreJobOut]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")
