"""A background job run every N seconds inside a service's lifespan.

Housekeeping (sweeps, purges) must neither die on one failure nor keep a process from
shutting down: each run's error is logged and remembered, the loop goes on, and
``stop()`` cancels it. ``wake()`` runs the job now instead of at the end of the
interval (a reporter woken by a commit that gave it work). Tests call the job directly
instead of waiting for the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from clashtor_common.failures import is_transient

log = logging.getLogger(__name__)


class Periodic:
    """Run ``job`` at once and then every ``interval`` seconds; an interval of 0 = never."""

    def __init__(self, name: str, interval: float, job: Callable[[], Awaitable[Any]]) -> None:
        self.name = name
        self.interval = interval
        self.job = job
        self.runs = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.interval > 0 and not self.running:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Run the job as soon as the current run (if any) is over."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.job()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next run may well succeed
                self.last_error = repr(exc)
                if is_transient(exc):
                    log.warning(
                        "%s: dependency unavailable, next run in %ss: %r",
                        self.name,
                        self.interval,
                        exc,
                    )
                else:
                    log.exception("%s failed", self.name)
            self.runs += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
