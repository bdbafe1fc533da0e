"""Typed payloads for every event, one class each, with JSON Schemas.

Payloads carry no plaintext personal data: ids, roles, counts, keyed fingerprints of
emails (see ``clashtor_common.crypto.fingerprint``) and references to encrypted objects.

An object travels as an ``ObjectRef`` (bucket and key), never as an endpoint URL or a
presigned link: S3 addresses and link lifetimes change (a restart moves the embedded
S3 to a new port, a link expires), keys do not. A reader fetches the object through
its own S3 client (``clashtor_common.s3.S3Store.read``). Version 2 of the four events
that carry objects replaced version 1's URL fields.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.events.envelope import EventPayload, register_payloads
from clashtor_common.events.topics import Topic

P = TypeVar("P", bound=EventPayload)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ParticipantRole = Literal["rep", "customer"]
SubjectType = Literal["user", "participant", "call", "organization"]


class ParticipantRef(_Part):
    """A call participant as events see them: no name, no email."""

    participant_id: str
    role: ParticipantRole
    fingerprint: str | None = Field(None, description="keyed hash of the normalized email")
    user_id: str | None = Field(None, description="set when the participant is a Clashtor user")


class Subject(_Part):
    """Whom a privacy request is about. Emails travel only as fingerprints."""

    type: SubjectType
    id: str | None = None
    fingerprint: str | None = None


class ObjectRef(_Part):
    """Where an encrypted object lives. Erasure deletes it (and its key), so an old event
    that names it yields nothing."""

    bucket: str = Field(min_length=1, max_length=255)
    key: str = Field(min_length=1, max_length=1024)


class WrappedDataKey(_Part):
    """The data key of an object another service reads, sealed by its producer's master key.

    Version-2 ciphertext names a data key held in the producer's key table, which no
    other service can read; the key travels with the reference instead (wrapped, so only a
    holder of the master key opens it). It is key material, not personal data: erasure
    deletes the object (and the embedded S3 compacts it), and the topic keeps the event only
    for its retention (7 days in production), see services/privacy/README.md.
    """

    id: str = Field(min_length=1, max_length=120, description="the key id the header names")
    master_kid: str = Field(min_length=1, max_length=64)
    wrapped: str = Field(min_length=1, max_length=200, description="base64 nonce + sealed key")


class KeptRecord(_Part):
    what: str
    why: str


class _CallEvent(EventPayload):
    # A call's event: the call and who uploaded it. Comments, not docstrings, here and in
    # the v2 payloads: their pinned schemas stay exactly as they were published.
    call_id: str
    uploader_id: str


class CallUploadedV2(_CallEvent):
    # call-uploaded before the audio's data key travelled with it (a self-keyed CTS1
    # object); read as v4 with audio_key_id None.
    model_config = ConfigDict(title="CallUploaded")
    event_type = Topic.CALL_UPLOADED.value
    event_version = 2
    audio: ObjectRef = Field(description="the encrypted audio object (Keyring stream format)")
    audio_format: str
    duration: float
    channels: int
    sample_rate: int
    size_bytes: int
    participants: list[ParticipantRef] = Field(default_factory=list)
    processing_restricted: bool = False
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2,3}$",
        description="language of the call when the uploader set it (ISO 639-1); null = detect",
    )

    def upcast(self) -> CallUploaded:
        return CallUploaded(**self.model_dump())


class CallUploadedV3(CallUploadedV2):
    """A call was uploaded: its encrypted audio and, since v3, the audio's data key."""

    # v3 carried the audio's data key wrapped by ingest's master key, so the topic and the
    # master key opened a backup of the audio after an erasure; read as v4 naming the key
    # only (the key is then asked of ingest, which has destroyed it if the call is erased).
    event_version = 3
    audio_key: WrappedDataKey | None = Field(
        None, description="the audio's data key (CTS2); None for a self-keyed CTS1 object"
    )

    def upcast(self) -> CallUploaded:
        return _without_key(self, CallUploaded, "audio_key", "audio_key_id")


class CallUploaded(CallUploadedV2):
    """A call was uploaded: its encrypted audio and, since v4, the id of the audio's data key.

    The key itself stays in ingest's key table: a reader asks ingest for it
    (``GET /internal/data-keys/{id}``, ``clashtor_common.keyservice``), and once the call
    is erased the key is destroyed and the answer is 410, so neither this event nor a
    replay of it opens the audio."""

    event_version = 4
    audio_key_id: str | None = Field(
        None,
        max_length=120,
        description="the audio's data key id (CTS2), kept by ingest; None for a self-keyed CTS1 object",
    )

    def upcast(self) -> CallUploaded:
        return self


class CallTranscribedV2(_CallEvent):
    # call-transcribed before the transcript's data key travelled with it (a self-keyed
    # CTR1 object); read as v4 with transcript_key_id None.
    model_config = ConfigDict(title="CallTranscribed")
    event_type = Topic.CALL_TRANSCRIBED.value
    event_version = 2
    transcript: ObjectRef = Field(description="the encrypted transcript JSON")
    engine: str
    model: str
    language: str
    duration: float
    channels: int
    speakers: int
    word_count: int
    participants: list[ParticipantRef] = Field(default_factory=list)

    def upcast(self) -> CallTranscribed:
        return CallTranscribed(**self.model_dump())


class CallTranscribedV3(CallTranscribedV2):
    """A call was transcribed: its encrypted transcript and, since v3, the transcript's
    data key."""

    # v3 carried the key wrapped by transcribe's master key; read as v4 (see CallUploadedV3)
    event_version = 3
    transcript_key: WrappedDataKey | None = Field(
        None, description="the transcript's data key (CTR2); None for a self-keyed CTR1 object"
    )

    def upcast(self) -> CallTranscribed:
        return _without_key(self, CallTranscribed, "transcript_key", "transcript_key_id")


class CallTranscribed(CallTranscribedV2):
    """A call was transcribed: its encrypted transcript and, since v4, the id of the
    transcript's data key, which a reader asks transcribe for (410 once erased)."""

    event_version = 4
    transcript_key_id: str | None = Field(
        None,
        max_length=120,
        description="the transcript's data key id (CTR2), kept by transcribe; None for a self-keyed CTR1 object",
    )

    def upcast(self) -> CallTranscribed:
        return self


def _without_key(old: EventPayload, new: type[P], key_field: str, id_field: str) -> P:
    """A v3 event as v4: the wrapped key it carried is dropped, only its id stays."""
    values = old.model_dump(exclude={key_field})
    key = getattr(old, key_field)
    return new(**values, **{id_field: key.id if key is not None else None})


class CallProgressed(EventPayload):
    """A call moved inside a stage: transcription started or got further, scoring started.

    Informational: ingest turns it into the ``transcribing`` (with percent) and
    ``scoring`` statuses. Sent at least once and possibly out of order; a reader keeps
    only progress (a lower percent or an earlier stage after a later one changes nothing).
    """

    event_type = Topic.CALL_PROGRESSED.value
    call_id: str
    uploader_id: str
    stage: Literal["transcribe", "score"]
    percent: int = Field(ge=0, le=100, description="how much of the stage is done")


class CallScored(EventPayload):
    event_type = Topic.CALL_SCORED.value
    event_version = 2
    call_id: str
    uploader_id: str
    overall_score: float | None = None
    scorecard: str | None = None
    engine: str
    trackers: list[str] = Field(
        default_factory=list,
        description="names of the organization's trackers mentioned in the call (v2)",
    )


class CallFailed(EventPayload):
    event_type = Topic.CALL_FAILED.value
    event_version = 2
    call_id: str
    uploader_id: str | None = Field(None, description="whom to tell (v2); None if unknown")
    stage: Literal["ingest", "transcribe", "score"]
    code: str
    reason: str


class CallScoredV1(EventPayload):
    # call-scored before tracker names travelled with it; read as v2 with none. (A comment,
    # not a docstring: the pinned v1 schema stays exactly as it was published.)
    model_config = ConfigDict(extra="forbid", frozen=True, title="CallScored")
    event_type = Topic.CALL_SCORED.value
    call_id: str
    uploader_id: str
    overall_score: float | None = None
    scorecard: str | None = None
    engine: str

    def upcast(self) -> CallScored:
        return CallScored(**self.model_dump())


class CallFailedV1(EventPayload):
    # call-failed before it named the uploader; read as v2 with uploader_id None.
    model_config = ConfigDict(extra="forbid", frozen=True, title="CallFailed")
    event_type = Topic.CALL_FAILED.value
    call_id: str
    stage: Literal["ingest", "transcribe", "score"]
    code: str
    reason: str

    def upcast(self) -> CallFailed:
        return CallFailed(**self.model_dump())


class ErasureRequested(EventPayload):
    event_type = Topic.ERASURE_REQUESTED.value
    request_id: str
    subject: Subject
    requested_by: str | None = None
    attempt: int = 1
    services: list[str] | None = Field(
        None, description="only these services (a re-send); None = all"
    )

    def is_for(self, service: str) -> bool:
        """Whether ``service`` acts on it: a re-send names only those still owing an answer."""
        return self.services is None or service in self.services


class ErasureCompleted(EventPayload):
    event_type = Topic.ERASURE_COMPLETED.value
    request_id: str
    service: str
    status: Literal["completed", "failed"] = "completed"
    removed: dict[str, int] = Field(default_factory=dict)
    kept: list[KeptRecord] = Field(default_factory=list)
    details: str = ""


class ExportRequested(EventPayload):
    event_type = Topic.EXPORT_REQUESTED.value
    request_id: str
    subject: Subject
    include_audio: bool = False


class ExportPartReady(EventPayload):
    event_type = Topic.EXPORT_PART_READY.value
    event_version = 2
    request_id: str
    service: str
    part: ObjectRef | None = Field(None, description="the encrypted part; None if empty")
    items: int = 0
    status: Literal["ready", "failed"] = "ready"
    details: str = ""


class PrivacyRequestCompleted(EventPayload):
    """An export or erasure request reached its end: every service answered and it is
    ``completed``, or it gave up (``failed``). Ids and kinds only, never the subject."""

    event_type = Topic.PRIVACY_REQUEST_COMPLETED.value
    request_id: str
    kind: Literal["erasure", "export"]
    status: Literal["completed", "failed"]
    subject_type: SubjectType


class PlanLimits(_Part):
    included_minutes: int
    seats: int
    max_upload_mb: int | None = None


class SubscriptionChanged(EventPayload):
    event_type = Topic.SUBSCRIPTION_CHANGED.value
    plan: str
    status: str
    limits: PlanLimits
    period_start: str | None = None
    period_end: str | None = None
    grace_until: str | None = None
    stripe_updated: int = Field(0, description="Stripe object timestamp; older changes never win")


class SubjectRectified(EventPayload):
    """A subject's name or email changed; the new values travel as an encrypted claim check."""

    event_type = Topic.SUBJECT_RECTIFIED.value
    event_version = 2
    request_id: str
    subject: Subject
    changes: ObjectRef = Field(description="the encrypted claim check of the new values")


class SubjectRestricted(EventPayload):
    """Restriction (stored, not processed) and objection (left out of analytics) flags."""

    event_type = Topic.SUBJECT_RESTRICTED.value
    request_id: str
    subject: Subject
    restricted: bool | None = None
    objected: bool | None = None


class CommentMentioned(EventPayload):
    """A comment on a call mentions users: each of them is told (ids only; the comment's
    text stays sealed in score)."""

    event_type = Topic.COMMENT_MENTIONED.value
    call_id: str
    comment_id: str
    author_id: str
    at_seconds: float = Field(ge=0, description="the moment of the call the thread is pinned to")
    mentioned_user_ids: list[str] = Field(min_length=1)


PAYLOADS: tuple[type[EventPayload], ...] = (
    CallUploaded,
    CallTranscribed,
    CallProgressed,
    CallScored,
    CallFailed,
    ErasureRequested,
    ErasureCompleted,
    ExportRequested,
    ExportPartReady,
    SubscriptionChanged,
    SubjectRectified,
    SubjectRestricted,
    CommentMentioned,
    PrivacyRequestCompleted,
)
LEGACY_PAYLOADS: tuple[type[EventPayload], ...] = (
    CallScoredV1,
    CallFailedV1,
    CallUploadedV2,
    CallUploadedV3,
    CallTranscribedV2,
    CallTranscribedV3,
)
"""Older versions still readable: each has ``upcast()`` to the current model, so events
published before an upgrade (in the log, in a dead-letter topic) are still handled."""

register_payloads(*PAYLOADS, *LEGACY_PAYLOADS)


def json_schemas() -> dict[str, dict[str, Any]]:
    """``{"call-uploaded.v1": schema, ...}`` for contract tests and docs (legacy included)."""
    return {
        f"{p.event_type}.v{p.event_version}": p.model_json_schema()
        for p in (*PAYLOADS, *LEGACY_PAYLOADS)
    }
