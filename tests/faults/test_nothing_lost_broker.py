"""Nothing lost when the broker (Tansu, its log on the embedded S3) is killed with
SIGKILL while calls are in flight: every call is scored exactly once, nothing is
dead-lettered. A module of its own so ``make test`` runs it beside the other faults.
"""

from __future__ import annotations

from .checks import assert_scored_exactly_once, wait_scored
from .conftest import Uploader
from .running import RunningStack


def test_the_broker_killed_and_restarted_loses_nothing(
    stack: RunningStack, calls: Uploader
) -> None:
    ids = calls.upload(3)
    old = stack.kill("broker")
    stack.wait_restarted("broker", old)
    assert "broker exited (code -9); restarting" in stack.output()

    wait_scored(calls.status, ids)
    assert_scored_exactly_once(stack, ids)
