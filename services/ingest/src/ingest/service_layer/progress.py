"""Moving a call along the pipeline as transcribe and score report back."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import utcnow
from ingest.adapters.calls_repo import CallRepository
from ingest.domain.status import CallStatus, moves_forward

log = logging.getLogger(__name__)


async def record_progress(
    session: AsyncSession,
    org_id: str,
    call_id: str,
    new: CallStatus,
    *,
    failed_stage: str | None = None,
    code: str | None = None,
    reason: str | None = None,
    percent: int | None = None,
) -> bool:
    """Apply a status change if it is progress; False when it is late, repeated or unknown.

    ``percent`` qualifies ``transcribing``; every other status clears it."""
    repo = CallRepository(session, org_id)
    call = await repo.get_for_update(call_id)
    if call is None:
        why = "erased" if await repo.is_erased(call_id) else "unknown"
        log.info("ignoring %s for %s call %s", new.value, why, call_id)
        return False
    if not moves_forward(
        call.status,
        call.failed_stage,
        new,
        failed_stage,
        current_percent=call.progress_percent,
        new_percent=percent,
    ):
        log.info("ignoring %s for call %s already %s", new.value, call_id, call.status)
        return False
    now = utcnow()
    call.status = new.value
    call.progress_percent = percent if new is CallStatus.TRANSCRIBING else None
    if new is CallStatus.FAILED:
        call.failed_stage = failed_stage
        call.failure_code = (code or "")[:100] or None
        call.failure_reason = (reason or "")[:1000] or None
    else:
        call.failed_stage = call.failure_code = call.failure_reason = None
    if new is CallStatus.TRANSCRIBED:
        call.transcribed_at = now
    if new is CallStatus.SCORED:
        call.scored_at = now
        call.transcribed_at = call.transcribed_at or now
    call.updated_at = now
    session.add(call)
    return True


async def record_score(
    session: AsyncSession, org_id: str, call_id: str, overall_score: float | None
) -> None:
    """Keep the call's latest announced score (automatic, or as a manager reviewed it)
    for the calls list; nothing for a call that is gone."""
    call = await CallRepository(session, org_id).get(call_id)
    if call is not None:
        call.overall_score = overall_score
        session.add(call)


async def record_trackers(
    session: AsyncSession, org_id: str, call_id: str, trackers: Sequence[str]
) -> None:
    """Keep the names of the trackers the call mentions (the latest scoring's), for the
    calls list's ``tracker`` filter; nothing for a call that is gone."""
    repo = CallRepository(session, org_id)
    if await repo.get(call_id) is None:
        return
    await repo.replace_trackers(call_id, {name.strip().casefold() for name in trackers})
