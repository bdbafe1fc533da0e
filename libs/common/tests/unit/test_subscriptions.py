"""A service's subscriptions, declared on its handlers."""

from __future__ import annotations

import pytest

from clashtor_common.events import Envelope, ErasureRequested, ExportRequested, Topic, make_event
from clashtor_common.service import named_dependencies
from clashtor_common.subscriptions import Subscriptions
from clashtor_common.testing.events import erasure_requested


def test_each_handler_adds_its_topic_and_what_it_emits_after_what_the_service_always_emits() -> (
    None
):
    events = Subscriptions(also_produces=(Topic.CALL_UPLOADED,))

    @events.handles(Topic.ERASURE_REQUESTED, emits=(Topic.ERASURE_COMPLETED,))
    async def on_erasure_requested(event: Envelope) -> None: ...

    @events.handles(Topic.SUBJECT_RESTRICTED)
    async def on_subject_restricted(event: Envelope) -> None: ...

    @events.handles(Topic.EXPORT_REQUESTED, emits=(Topic.EXPORT_PART_READY, Topic.CALL_UPLOADED))
    async def on_export_requested(event: Envelope) -> None: ...

    assert events.routes == {
        "erasure-requested": on_erasure_requested,
        "subject-restricted": on_subject_restricted,
        "export-requested": on_export_requested,
    }
    assert events.consumes == ("erasure-requested", "subject-restricted", "export-requested")
    assert events.produces == ("call-uploaded", "erasure-completed", "export-part-ready")


def test_a_second_handler_of_one_topic_is_refused() -> None:
    events = Subscriptions()

    @events.handles(Topic.CALL_SCORED)
    async def first(event: Envelope) -> None: ...

    with pytest.raises(ValueError, match="call-scored already has a handler"):

        @events.handles(Topic.CALL_SCORED)
        async def second(event: Envelope) -> None: ...


async def test_an_erasure_handler_gets_the_request_and_its_dependencies_only_when_addressed_to_it() -> (
    None
):
    events = Subscriptions()
    seen: list[tuple[str, str, object]] = []

    @events.handles_erasure("billing")
    async def on_erasure_requested(
        request: ErasureRequested, event: Envelope, session: object, context: str
    ) -> None:
        seen.append((request.request_id, event.org_id, context))

    assert events.consumes == ("erasure-requested",)
    assert events.produces == ("erasure-completed",)
    handler = events.routes["erasure-requested"]
    deps = named_dependencies(handler, {"context": "billing's context", "exports": "unused"})
    assert deps == {"context": "billing's context"}

    def erasure(request_id: str, services: list[str] | None) -> Envelope:
        request = erasure_requested("user", "user-1", request_id=request_id, services=services)
        return make_event(request, source="privacy", org_id="org-1")

    await handler(erasure("to-all", None), None, **deps)
    await handler(erasure("to-billing", ["billing", "score"]), None, **deps)
    await handler(erasure("to-others", ["score"]), None, **deps)

    assert seen == [
        ("to-all", "org-1", "billing's context"),
        ("to-billing", "org-1", "billing's context"),
    ]


async def test_an_export_handler_gets_the_request_read_from_the_event() -> None:
    events = Subscriptions()
    seen: list[str] = []

    @events.handles_export()
    async def on_export_requested(
        request: ExportRequested, event: Envelope, session: object
    ) -> None:
        seen.append(request.request_id)

    assert (events.consumes, events.produces) == (("export-requested",), ("export-part-ready",))
    request = ExportRequested(request_id="r-1", subject={"type": "organization", "id": "org-1"})  # type: ignore[arg-type]
    await events.routes["export-requested"](
        make_event(request, source="privacy", org_id="org-1"), None
    )
    assert seen == ["r-1"]
