"""Heavy test files first under ``pytest -n 2 --dist loadfile`` (``make test``).

xdist hands out one test file at a time to whichever worker is free, in the order of
how many tests a file holds. A file that runs a whole stack of its own (``tests/faults``,
minutes each) holds few tests, so it came last: the run ended with one worker busy on
it and the other idle. Handing out the heavy files first (longest processing time
first) lets the many short files fill in around them, so the run ends when the total
work, not the longest file, says it should.

The controller sees only test ids, not markers, so a file's weight is its directory:
``HEAVY_FIRST`` in that order, then everything else; within a tier xdist's own order
(more tests first) holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

import pytest

HEAVY_FIRST = ("tests/faults/", "tests/e2e/", "tests/security/")
"""Directories whose files start whole stacks, heaviest first."""


def tier(scope: str) -> int:
    """Where a test file goes in the queue: its place in ``HEAVY_FIRST``, or after them."""
    for rank, prefix in enumerate(HEAVY_FIRST):
        if scope.startswith(prefix):
            return rank
    return len(HEAVY_FIRST)


def heavy_first(files: Mapping[str, Sized]) -> list[str]:
    """The test files (each with its tests), heavy tiers first, then more tests first."""
    return sorted(files, key=lambda scope: (tier(scope), -len(files[scope])))


def _scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadFileScheduling

    class HeavyFirstScheduling(LoadFileScheduling):  # type: ignore[misc]
        """xdist's ``loadfile`` with its queue put in ``heavy_first`` order once, before
        the first file is handed out (the queue is complete by then)."""

        ordered = False

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:
                self.ordered = True
                units = dict(self.workqueue)
                self.workqueue.clear()
                self.workqueue.update((scope, units[scope]) for scope in heavy_first(units))
            super()._assign_work_unit(node)

    return HeavyFirstScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` gets the heavy-first queue; other modes stay xdist's own."""
    if config.getoption("dist", None) != "loadfile":
        return None
    return _scheduler(config, log)
