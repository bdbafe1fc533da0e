"""Time the garbage collector spends in a benchmark's measured window.

A service freezes its start-up heap (``clashtor_common.heap``) so that full collections
skip it; a benchmark that runs service code in its own process reports how long the
collector still held its event loop, so the figure shows that it reproduces that.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class GcPauses:
    """Collections seen while active: their total wall time and the full ones' count."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2

    def __str__(self) -> str:
        return f"{self.seconds * 1000:.0f} ms ({self.full} full)"


@contextmanager
def gc_pauses() -> Iterator[GcPauses]:
    """Record every collection until the block ends."""
    pauses = GcPauses()
    gc.callbacks.append(pauses)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(pauses)
