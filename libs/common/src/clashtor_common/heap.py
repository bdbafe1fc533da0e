"""A service's start-up heap, kept out of the garbage collector's full collections.

A started service holds a few hundred thousand long-lived objects: its modules, FastAPI's
routes and validators, SQLAlchemy's mappers, OpenTelemetry (the gateway: 236,600 tracked
objects). CPython's collector walks every one of them in each full collection, and
the short-lived objects of every request and event keep triggering those: a full
collection of the gateway's heap took 133 ms, during which its event loop (every request
in it) waited. Under 200 concurrent readers 13 % of the gateway's CPU samples were in the
collector (py-spy ``--native``), and its p99 latency was those pauses (issue 20).

``gc.freeze()`` once the service has started moves everything then tracked to the
permanent generation, which collections skip; what requests allocate is collected as
before. The start-up heap lives as long as the process anyway. No collection runs first:
it would cost a full one at every start (133 ms in the gateway, more in a test process
holding every test module) to find about 40 unreachable objects there, which stay.
A process that runs several apps one after another (the tests) unfreezes when the last
running one stops, so an app's start-up objects can be collected once it is gone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_running = 0
"""Apps in this process inside ``startup_heap_frozen``."""


@contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """Freeze what the collector tracks now, for as long as the app runs."""
    global _running
    gc.freeze()
    _running += 1
    try:
        yield
    finally:
        _running -= 1
        if _running == 0:
            gc.unfreeze()
