"""What a service's event handlers consume and emit, declared beside each handler.

As FastStream declares a subscriber and its publishers on the handler itself, a
service's ``handlers.py`` says for each handler the topic it handles and the topics it
emits to::

    events = Subscriptions(also_produces=(Topic.CALL_UPLOADED,))  # emitted by an HTTP route

    @events.handles(Topic.ERASURE_REQUESTED, emits=(Topic.ERASURE_COMPLETED,))
    async def on_erasure_requested(event: Envelope, session: AsyncSession) -> None: ...

and ``entrypoints/stream.py`` publishes ``events.routes`` (topic → handler, what
``ServiceRuntime.subscribe_all`` registers), ``consumes`` and ``produces`` (what the
AsyncAPI documents, the Kafka ACLs and the contract tests read).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from clashtor_common.events import (
    Envelope,
    ErasureRequested,
    EventPayload,
    ExportRequested,
    Topic,
)

Handler = Callable[..., Awaitable[None]]
H = TypeVar("H", bound=Handler)
P = TypeVar("P", bound=EventPayload)


class Subscriptions:
    def __init__(self, *, also_produces: Sequence[Topic] = ()) -> None:
        """``also_produces``: topics the service emits to outside its handlers (HTTP
        routes, background jobs)."""
        self.routes: dict[str, Handler] = {}
        self._produces: dict[str, None] = dict.fromkeys(t.value for t in also_produces)

    def handles(self, topic: Topic, *, emits: Sequence[Topic] = ()) -> Callable[[H], H]:
        """Register the decorated function as the handler of ``topic``."""

        def register(handler: H) -> H:
            if topic.value in self.routes:
                raise ValueError(f"{topic.value} already has a handler: {self.routes[topic.value]}")
            self.routes[topic.value] = handler
            self._produces.update(dict.fromkeys(t.value for t in emits))
            return handler

        return register

    def handles_erasure(self, service: str) -> Callable[[H], H]:
        """Register the decorated ``handler(request, event, session, **deps)`` as the
        handler of erasure-requested, called only with the requests addressed to
        ``service`` (the ``ErasureRequested`` already read from the event)."""
        return self._handles_request(
            Topic.ERASURE_REQUESTED,
            ErasureRequested,
            emits=Topic.ERASURE_COMPLETED,
            wanted=lambda request: request.is_for(service),
        )

    def handles_export(self) -> Callable[[H], H]:
        """Register the decorated ``handler(request, event, session, **deps)`` as the
        handler of export-requested (the ``ExportRequested`` already read from the event)."""
        return self._handles_request(
            Topic.EXPORT_REQUESTED, ExportRequested, emits=Topic.EXPORT_PART_READY
        )

    def _handles_request(
        self,
        topic: Topic,
        model: type[P],
        *,
        emits: Topic,
        wanted: Callable[[P], bool] = lambda _: True,
    ) -> Callable[[H], H]:
        """A privacy request's handler takes the request read from the event first."""

        def register(handler: H) -> H:
            @functools.wraps(handler)  # its signature names the dependencies it takes
            async def on_request(event: Envelope, session: Any, **deps: Any) -> None:
                request = event.payload_as(model)
                if wanted(request):
                    await handler(request, event, session, **deps)

            self.handles(topic, emits=(emits,))(on_request)
            return handler

        return register

    @property
    def consumes(self) -> tuple[str, ...]:
        return tuple(self.routes)

    @property
    def produces(self) -> tuple[str, ...]:
        return tuple(self._produces)
