"""A service's answer to a privacy request: ``erasure-completed`` or ``export-part-ready``.

Every service holding personal data does its part of an erasure or export in the
consumer's transaction and answers in that same transaction (``emit_answer``), so privacy
hears back exactly once. A subject the service cannot use (``UnusableSubject``: what its
type needs is missing, or it names another organization) is answered ``failed`` with the
reason instead of being left unanswered.

``answer_privacy_requests`` subscribes a service's erasure and export as its handlers of
``erasure-requested`` and ``export-requested``.

This module is the contract's one vocabulary: a service's privacy use cases import it as
a namespace (``from clashtor_common import rights``) and write ``rights.ErasureRequested``,
``rights.ExportPartReady``, ``rights.KeptRecord``, ``rights.erased(...)``, so the requests
and answers they take and give are named where the contract is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    Envelope,
    ErasureCompleted,
    ErasureRequested,
    ExportPartReady,
    ExportRequested,
    KeptRecord,
)
from clashtor_common.outbox import emit_answer
from clashtor_common.subjects import UnusableSubject
from clashtor_common.subscriptions import Subscriptions

__all__ = [
    "Erase",
    "ErasureCompleted",
    "ErasureRequested",
    "Export",
    "ExportPartReady",
    "ExportRequested",
    "KeptRecord",
    "answer_privacy_requests",
    "answer_request",
    "erased",
    "refusal",
]

log = logging.getLogger(__name__)
Answer = TypeVar("Answer", ErasureCompleted, ExportPartReady)
Erase = Callable[[Any, AsyncSession, Envelope, ErasureRequested], Awaitable[ErasureCompleted]]
"""A service's erasure: (its context, the handler's session, the event, the request)."""
Export = Callable[[Any, AsyncSession, Envelope, ExportRequested], Awaitable[ExportPartReady]]
"""A service's export part, called like ``Erase``."""


def erased(
    request: ErasureRequested, service: str, removed: dict[str, int], kept: KeptRecord
) -> ErasureCompleted:
    """The ``completed`` answer: what was removed, and what is kept (ids, no content) and why."""
    return ErasureCompleted(
        request_id=request.request_id,
        service=service,
        status="completed",
        removed=removed,
        kept=[kept],
    )


@overload
def refusal(request: ErasureRequested, service: str, reason: str) -> ErasureCompleted: ...
@overload
def refusal(request: ExportRequested, service: str, reason: str) -> ExportPartReady: ...
def refusal(
    request: ErasureRequested | ExportRequested, service: str, reason: str
) -> ErasureCompleted | ExportPartReady:
    """The ``failed`` answer to ``request``, saying why."""
    if isinstance(request, ErasureRequested):
        return ErasureCompleted(
            request_id=request.request_id, service=service, status="failed", details=reason
        )
    return ExportPartReady(
        request_id=request.request_id, service=service, part=None, status="failed", details=reason
    )


async def answer_request(
    session: AsyncSession,
    request: ErasureRequested | ExportRequested,
    work: Awaitable[Answer],
    *,
    service: str,
    org_id: str,
) -> Answer:
    """Await the service's ``work`` on ``request`` and emit its answer (or the refusal,
    if the work found the subject unusable); returns what was emitted."""
    try:
        answer = await work
    except UnusableSubject as exc:
        answer = refusal(request, service, str(exc))  # type: ignore[assignment]
    await emit_answer(session, answer, source=service, org_id=org_id)
    return answer


def answer_privacy_requests(
    events: Subscriptions, *, service: str, erase: Erase, export: Export
) -> None:
    """Subscribe ``erase`` as the service's handler of ``erasure-requested`` (those
    addressed to it, ``Subscriptions.handles_erasure``) and ``export`` as its handler of
    ``export-requested`` (``handles_export``); each runs in the handler's transaction and its answer is emitted
    there (``answer_request``)."""

    async def answer(
        session: AsyncSession, event: Envelope, request: Any, work: Awaitable[Any]
    ) -> None:
        done = await answer_request(session, request, work, service=service, org_id=event.org_id)
        log.info("%s (%s): %r", request.request_id, request.subject.type, done)

    @events.handles_erasure(service)
    async def on_erasure_requested(
        request: ErasureRequested, event: Envelope, session: AsyncSession, context: Any
    ) -> None:
        await answer(session, event, request, erase(context, session, event, request))

    @events.handles_export()
    async def on_export_requested(
        request: ExportRequested, event: Envelope, session: AsyncSession, context: Any
    ) -> None:
        await answer(session, event, request, export(context, session, event, request))
