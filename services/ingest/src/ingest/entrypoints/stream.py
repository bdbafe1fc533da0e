"""Kafka entry points of the ingest service: what it consumes and what it produces."""

from __future__ import annotations

from clashtor_common.events import Topic
from clashtor_common.service import ServiceRuntime
from ingest import handlers
from ingest.context import IngestContext

#: The handler of each topic this service subscribes to (its consumer group is its name).
ROUTES = {
    Topic.SUBSCRIPTION_CHANGED.value: handlers.on_subscription_changed,
    Topic.CALL_PROGRESSED.value: handlers.on_call_progressed,
    Topic.CALL_TRANSCRIBED.value: handlers.on_call_transcribed,
    Topic.CALL_SCORED.value: handlers.on_call_scored,
    Topic.CALL_FAILED.value: handlers.on_call_failed,
    Topic.ERASURE_REQUESTED.value: handlers.on_erasure_requested,
    Topic.EXPORT_REQUESTED.value: handlers.on_export_requested,
    Topic.SUBJECT_RESTRICTED.value: handlers.on_subject_restricted,
    Topic.SUBJECT_RECTIFIED.value: handlers.on_subject_rectified,
}
CONSUMES: tuple[str, ...] = tuple(ROUTES)
#: Topics this service emits to through its outbox.
PRODUCES: tuple[str, ...] = (
    Topic.CALL_UPLOADED.value,
    Topic.ERASURE_COMPLETED.value,
    Topic.EXPORT_PART_READY.value,
)


def register_subscribers(runtime: ServiceRuntime, context: IngestContext) -> None:
    runtime.subscribe_all(ROUTES, context=context)
