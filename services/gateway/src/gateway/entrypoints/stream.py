"""Kafka entry points of the gateway service: what it consumes and what it produces."""

from __future__ import annotations

from clashtor_common.events import Topic
from clashtor_common.service import ServiceRuntime
from gateway import handlers
from gateway.context import Gateway

#: The handler of each topic this service subscribes to (its consumer group is its name).
ROUTES = {
    Topic.CALL_SCORED.value: handlers.on_call_scored,
    Topic.CALL_FAILED.value: handlers.on_call_failed,
    Topic.ERASURE_REQUESTED.value: handlers.on_erasure_requested,
    Topic.EXPORT_REQUESTED.value: handlers.on_export_requested,
    Topic.SUBJECT_RESTRICTED.value: handlers.on_subject_restricted,
    Topic.COMMENT_MENTIONED.value: handlers.on_comment_mentioned,
}
CONSUMES: tuple[str, ...] = tuple(ROUTES)
#: Topics this service emits to through its outbox.
PRODUCES: tuple[str, ...] = (
    Topic.ERASURE_COMPLETED.value,
    Topic.EXPORT_PART_READY.value,
)


def register_subscribers(runtime: ServiceRuntime, gw: Gateway) -> None:
    """Subscribe every handler; each receives only the dependencies it names."""
    runtime.subscribe_all(ROUTES, exports=gw.exports)
