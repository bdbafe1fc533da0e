"""A call's status changes as server-sent events, until the call is final.

Status lives in this service's database and changes as events from transcribe and
score arrive, possibly in another replica's consumer; so the stream reads the row
again every ``poll_seconds`` (one indexed primary-key read) and sends a ``status``
event whenever what a client shows changed: the status, its percent or the failure.
It ends after sending a final status (``scored`` or ``failed``), or ``not_found``
when the call is erased meanwhile. A comment line every ``keepalive_seconds`` keeps
proxies from closing a quiet stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from clashtor_common.identity import Identity
from ingest.adapters.calls_repo import CallRepository
from ingest.context import IngestContext
from ingest.domain.access import can_see
from ingest.domain.status import FINAL, CallStatus

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


def sse(event: str, data: dict[str, Any], *, event_id: int | None = None) -> bytes:
    """One event in the text/event-stream format (data on one line: it is JSON)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _snapshot(ctx: IngestContext, identity: Identity, call_id: str) -> dict[str, Any] | None:
    async with ctx.db.session() as session:
        call = await CallRepository(session, identity.org_id).get(call_id)
    if call is None or not can_see(identity, call.uploader_id):
        return None
    failure = None
    if call.status == CallStatus.FAILED:
        failure = {"stage": call.failed_stage, "code": call.failure_code}
    return {
        "id": call.id,
        "status": call.status,
        "progress_percent": call.progress_percent,
        "failure": failure,
    }


async def status_events(
    ctx: IngestContext,
    identity: Identity,
    call_id: str,
    *,
    poll_seconds: float = POLL_SECONDS,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> AsyncIterator[bytes]:
    """The stream's bytes: the current status at once, then each change, then the end."""
    sent: dict[str, Any] | None = None
    number = 0
    quiet_since = time.monotonic()
    while True:
        now = await _snapshot(ctx, identity, call_id)
        if now is None:
            yield sse("not_found", {"id": call_id})
            return
        if now != sent:
            number += 1
            yield sse("status", now, event_id=number)
            sent, quiet_since = now, time.monotonic()
            if CallStatus(now["status"]) in FINAL:
                return
        elif time.monotonic() - quiet_since >= keepalive_seconds:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll_seconds)
