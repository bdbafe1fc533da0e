"""The score service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container instead of digging in ``runtime.extras``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable
from clashtor_common.db import Database
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from score.domain.coaching import Coach
from score.settings import ScoreSettings

EXTRAS_KEY = "score"
log = logging.getLogger(__name__)


@dataclass
class ScoreContext:
    settings: ScoreSettings
    db: Database
    keyring: Keyring
    keys: KeyTable
    s3: S3Store
    coach: Coach
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    """Re-scoring runs started by requests and still going (awaited at shutdown)."""

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background re-scoring failed", exc_info=task.exception())

    async def stop(self) -> None:
        if self.background:
            await asyncio.wait(set(self.background), timeout=30)
        for task in list(self.background):
            task.cancel()
        close = getattr(self.coach, "close", None)
        if callable(close):
            close()


def context_of(runtime: ServiceRuntime) -> ScoreContext:
    context: ScoreContext = runtime.extras[EXTRAS_KEY]
    return context
