"""Kafka entry points of the privacy service: what it consumes and what it produces."""

from __future__ import annotations

from clashtor_common.events import Topic
from clashtor_common.service import ServiceRuntime
from privacy import handlers
from privacy.context import PrivacyContext

#: The handler of each topic this service subscribes to (its consumer group is its name).
ROUTES = {
    Topic.CALL_UPLOADED.value: handlers.on_call_uploaded,
    Topic.ERASURE_COMPLETED.value: handlers.on_erasure_completed,
    Topic.EXPORT_PART_READY.value: handlers.on_export_part_ready,
}
CONSUMES: tuple[str, ...] = tuple(ROUTES)
#: Topics this service emits to through its outbox.
PRODUCES: tuple[str, ...] = (
    Topic.ERASURE_REQUESTED.value,
    Topic.EXPORT_REQUESTED.value,
    Topic.SUBJECT_RECTIFIED.value,
    Topic.SUBJECT_RESTRICTED.value,
)


def register_subscribers(runtime: ServiceRuntime, context: PrivacyContext) -> None:
    runtime.subscribe_all(ROUTES, context=context)
