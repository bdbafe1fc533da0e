"""Nothing lost when any consumer is killed with SIGKILL mid-batch (and a second stack
on the same ``var/`` is refused, not started beside the first).

One ``make up`` stack for the module; the fault comes while calls are in flight, then
every call must reach ``scored`` exactly once (one ``call-scored`` event, one score
row, one usage row) with no dead letter. The broker's crash and whole-stack restarts
are in their own modules (``test_nothing_lost_broker``, ``test_nothing_lost_restarts``)
so ``make test`` runs them in parallel.
"""

from __future__ import annotations

import subprocess
import sys
import time

from clashtor_common.events import Topic

from .checks import assert_scored_exactly_once, wait_for_event, wait_scored
from .conftest import Uploader
from .running import RunningStack


def test_a_second_stack_on_the_same_var_is_refused_naming_the_running_one(
    stack: RunningStack,
) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "clashtor_common.devstack"],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    running = (stack.var / "devstack.pid").read_text().strip()
    assert second.returncode == 2, second.stdout + second.stderr
    assert f"a Clashtor stack (pid {running}) is already running" in second.stderr
    assert stack.proc is not None and stack.proc.poll() is None, "the running stack is untouched"


def test_kill_9_of_each_consumer_mid_batch_loses_and_repeats_nothing(
    stack: RunningStack, calls: Uploader
) -> None:
    ids = calls.upload(3)
    killed: dict[str, int] = {}
    # transcribe holds the first call (a batch of one, mid-transcription), ingest has
    # the status updates of all three to come.
    time.sleep(2)
    for child in ("transcribe", "ingest"):
        killed[child] = stack.kill(child)
    # score and billing get killed while call-transcribed events are theirs to handle,
    # the gateway (notifications) while call-scored ones are.
    wait_for_event(stack, Topic.CALL_TRANSCRIBED, ids)
    for child in ("score", "billing"):
        killed[child] = stack.kill(child)
    wait_for_event(stack, Topic.CALL_SCORED, ids)
    killed["gateway"] = stack.kill("gateway")
    for child, pid in killed.items():
        stack.wait_restarted(child, pid)
        assert f"{child} exited (code -9); restarting" in stack.output()

    wait_scored(calls.status, ids)
    assert_scored_exactly_once(stack, ids)
