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

The files that run on the session's shared stack (``tests/e2e``, ``tests/security``,
except the ones that start a stack of their own) are one work unit, ``SHARED_STACK_UNIT``,
the heaviest of all: one worker runs them all, so the run starts that stack (a minute of
both cores under load) once, not once on each worker, while the other worker takes the
fault modules and the stacks of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

import pytest

SHARED_STACK = ("tests/e2e/", "tests/security/")
"""Directories whose files use the session's running system (``tests/conftest.py``)."""
OWN_STACK = ("tests/e2e/test_crypto_shredding",)
"""Files there that start a stack of their own per module instead."""
SHARED_STACK_UNIT = "tests/e2e/ and tests/security/ (the shared stack)"
"""The one work unit of every file on the shared stack."""
HEAVY_FIRST = (SHARED_STACK_UNIT, "tests/faults/", "tests/e2e/", "tests/security/")
"""Work units that start whole stacks, heaviest first."""


def work_unit(nodeid: str) -> str:
    """The unit xdist hands a worker ``nodeid`` in: its file, or ``SHARED_STACK_UNIT``."""
    file = nodeid.split("::", 1)[0]
    if file.startswith(SHARED_STACK) and not file.startswith(OWN_STACK):
        return SHARED_STACK_UNIT
    return file


def tier(scope: str) -> int:
    """Where a work unit goes in the queue: its place in ``HEAVY_FIRST``, or after them."""
    for rank, prefix in enumerate(HEAVY_FIRST):
        if scope.startswith(prefix):
            return rank
    return len(HEAVY_FIRST)


def heavy_first(files: Mapping[str, Sized]) -> list[str]:
    """The work units (each with its tests), heavy tiers first, then more tests first."""
    return sorted(files, key=lambda scope: (tier(scope), -len(files[scope])))


def _scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadFileScheduling

    class HeavyFirstScheduling(LoadFileScheduling):  # type: ignore[misc]
        """xdist's ``loadfile`` with the shared stack's files as one unit (``work_unit``)
        and its queue put in ``heavy_first`` order once, before the first unit is handed
        out (the queue is complete by then)."""

        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

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
