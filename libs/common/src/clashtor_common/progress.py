"""Announcing how far a call is inside a stage (``call-progressed``), from any thread.

Transcription and scoring run for seconds to minutes with no database transaction
open (see the services' use cases), so progress cannot ride in the handler's
transaction: each report is its own short transaction that writes one outbox row.
Reports are throttled (only a rise of ``step`` percent or more is sent) and
serialized, and engines that work in a worker thread report through ``threadsafe``.
A report that fails is logged and dropped: progress is informational, and the stage's
final event (``call-transcribed``, ``call-scored``, ``call-failed``) always supersedes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal

from clashtor_common.db import Database
from clashtor_common.events import CallProgressed, make_event
from clashtor_common.outbox import emit

log = logging.getLogger(__name__)

Stage = Literal["transcribe", "score"]


class ProgressReporter:
    """Sends ``call-progressed`` for one call and stage, each report in its own commit."""

    def __init__(
        self,
        db: Database,
        *,
        source: str,
        org_id: str,
        call_id: str,
        uploader_id: str,
        stage: Stage,
        step: int = 5,
    ) -> None:
        self.db, self.source, self.org_id = db, source, org_id
        self.call_id, self.uploader_id, self.stage, self.step = call_id, uploader_id, stage, step
        self.sent: int | None = None
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()

    async def report(self, fraction: float) -> None:
        """Announce ``fraction`` (0..1) done, unless it is not ``step`` percent more than
        the last announcement (the first report, 0 included, is always sent)."""
        percent = max(0, min(100, int(fraction * 100)))
        async with self._lock:
            if self.sent is not None and percent < self.sent + self.step:
                return
            payload = CallProgressed(
                call_id=self.call_id,
                uploader_id=self.uploader_id,
                stage=self.stage,
                percent=percent,
            )
            event = make_event(
                payload,
                source=self.source,
                org_id=self.org_id,
                key=self.call_id,
                subject_ids=[self.call_id],
            )
            try:
                async with self.db.session() as session:
                    await emit(session, event)
            except Exception as exc:  # informational: never fail the stage for it
                log.warning("progress of call %s not recorded: %s", self.call_id, exc)
                return
            self.sent = percent

    def threadsafe(self, loop: asyncio.AbstractEventLoop) -> Callable[[float], None]:
        """A plain callable an engine may call from a worker thread; reports on ``loop``."""

        def on_loop(fraction: float) -> None:
            task = loop.create_task(self.report(fraction))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

        def from_thread(fraction: float) -> None:
            loop.call_soon_threadsafe(on_loop, fraction)

        return from_thread

    async def drain(self) -> None:
        """Wait for reports still on their way (before the stage's final event)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
