"""Nothing lost across a whole-stack stop (Ctrl-C) and start with calls in flight.

One ``make up`` stack for the module (the broker's and the consumers' crashes are in
``test_nothing_lost_broker`` and ``test_nothing_lost_consumers``, ``make up`` under
SIGTERM in ``test_make_up_sigterm``: each its own module, run in parallel by ``make
test``).
"""

from __future__ import annotations

from .checks import assert_scored_exactly_once, wait_scored
from .conftest import Uploader
from .running import RunningStack


def test_a_whole_stack_stop_with_5_calls_in_flight_and_a_start_loses_nothing(
    stack: RunningStack, calls: Uploader
) -> None:
    ids = calls.upload(5)
    in_flight = [c for c in ids if calls.status(c) != "scored"]
    stack.stop()  # Ctrl-C
    assert "stopped." in stack.output()
    assert in_flight, "the stop came while calls were in flight"

    stack.start()
    wait_scored(calls.status, ids)
    assert_scored_exactly_once(stack, ids)
