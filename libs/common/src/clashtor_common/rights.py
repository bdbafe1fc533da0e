"""A service's answer to a privacy request: ``erasure-completed`` or ``export-part-ready``.

Every service holding personal data does its part of an erasure or export in the
consumer's transaction and answers in that same transaction (``emit_answer``), so privacy
hears back exactly once. A subject the service cannot use (``UnusableSubject``: what its
type needs is missing, or it names another organization) is answered ``failed`` with the
reason instead of being left unanswered.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    ErasureCompleted,
    ErasureRequested,
    ExportPartReady,
    ExportRequested,
)
from clashtor_common.outbox import emit_answer
from clashtor_common.subjects import UnusableSubject

Answer = TypeVar("Answer", ErasureCompleted, ExportPartReady)


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
