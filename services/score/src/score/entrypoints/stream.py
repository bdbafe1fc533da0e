"""Kafka entry points of the score service: what it consumes and what it produces."""

from __future__ import annotations

from clashtor_common.events import Topic
from clashtor_common.service import ServiceRuntime
from score import handlers
from score.context import ScoreContext

#: The handler of each topic this service subscribes to (its consumer group is its name).
ROUTES = {
    Topic.CALL_TRANSCRIBED.value: handlers.on_call_transcribed,
    Topic.ERASURE_REQUESTED.value: handlers.on_erasure_requested,
    Topic.EXPORT_REQUESTED.value: handlers.on_export_requested,
    Topic.SUBJECT_RESTRICTED.value: handlers.on_subject_restricted,
}
CONSUMES: tuple[str, ...] = tuple(ROUTES)
#: Topics this service emits to through its outbox.
PRODUCES: tuple[str, ...] = (
    Topic.CALL_PROGRESSED.value,
    Topic.CALL_SCORED.value,
    Topic.CALL_FAILED.value,
    Topic.ERASURE_COMPLETED.value,
    Topic.EXPORT_PART_READY.value,
    Topic.COMMENT_MENTIONED.value,
)


def register_subscribers(runtime: ServiceRuntime, context: ScoreContext) -> None:
    runtime.subscribe_all(ROUTES, context=context)
