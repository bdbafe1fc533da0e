"""The one place that names Kafka topics: one topic per event type."""

from enum import StrEnum


class Topic(StrEnum):
    CALL_UPLOADED = "call-uploaded"
    CALL_TRANSCRIBED = "call-transcribed"
    CALL_PROGRESSED = "call-progressed"
    CALL_SCORED = "call-scored"
    CALL_FAILED = "call-failed"
    ERASURE_REQUESTED = "erasure-requested"
    ERASURE_COMPLETED = "erasure-completed"
    EXPORT_REQUESTED = "export-requested"
    EXPORT_PART_READY = "export-part-ready"
    SUBSCRIPTION_CHANGED = "subscription-changed"
    SUBJECT_RECTIFIED = "subject-rectified"
    SUBJECT_RESTRICTED = "subject-restricted"
    COMMENT_MENTIONED = "comment-mentioned"
    PRIVACY_REQUEST_COMPLETED = "privacy-request-completed"


DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """Dead-letter topic of ``topic``."""
    return topic if topic.endswith(DLQ_SUFFIX) else f"{topic}{DLQ_SUFFIX}"


ALL_TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)
