"""Nothing lost on ``make up``'s stack when its parts crash or it is stopped mid-flight.

One ``make up`` stack for the module, one fault per test, in this order: a second stack
on the same ``var/`` is refused; each consumer is killed with SIGKILL mid-batch; the
broker (Tansu, its log on the embedded S3) is killed with SIGKILL; the whole stack is
stopped (Ctrl-C) and started again. Each fault comes while calls of its own are in
flight, then every one of them must reach ``scored`` exactly once (one ``call-scored``
event, one score row, one usage row) with nothing dead-lettered.

The faults share the stack because starting one is most of each test's cost; each test
leaves it running, restarted processes and all, which the next one's fault starts from.
``make up`` under SIGTERM drives ``make`` itself (``test_make_up_sigterm``); an S3
outage needs the end-to-end stack's in-memory broker (``test_s3_outage``).
"""

from __future__ import annotations

import subprocess
import sys
import time

from clashtor_common.events import Topic

from .checks import all_scored_exactly_once, wait_for_event
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
    # transcribe's worker holds the first call (leased, mid-transcription), ingest has
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

    all_scored_exactly_once(stack, calls.status, ids)


def test_the_broker_killed_and_restarted_loses_nothing(
    stack: RunningStack, calls: Uploader
) -> None:
    ids = calls.upload(3)
    old = stack.kill("broker")
    stack.wait_restarted("broker", old)
    assert "broker exited (code -9); restarting" in stack.output()

    all_scored_exactly_once(stack, calls.status, ids)


def test_a_whole_stack_stop_with_5_calls_in_flight_and_a_start_loses_nothing(
    stack: RunningStack, calls: Uploader
) -> None:
    ids = calls.upload(5)
    in_flight = [c for c in ids if calls.status(c) != "scored"]
    stack.stop()  # Ctrl-C
    assert "stopped." in stack.output()
    assert in_flight, "the stop came while calls were in flight"

    stack.start()
    all_scored_exactly_once(stack, calls.status, ids)
