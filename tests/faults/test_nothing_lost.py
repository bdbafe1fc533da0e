"""Nothing lost: calls survive crashes of any consumer, of the broker, and stack restarts.

One ``make up`` stack for the module (it is expensive); each test injects a fault
while calls are in flight and then proves that every call reached ``scored``
exactly once (one ``call-scored`` event, one score row, one usage row) and that no
dead-letter topic holds anything. The last test stops that stack and drives ``make
up`` itself: SIGTERM to make's process group leaves no process, and the next ``make
up`` starts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clashtor_common.events import Topic, parse_envelope
from clashtor_common.ops.replay import read_topic

from .checks import assert_scored_exactly_once, wait_scored
from .conftest import Uploader, uploader
from .running import RunningStack, process_alive


@pytest.fixture(scope="module")
def stack(workdir: Path) -> Iterator[RunningStack]:
    running = RunningStack(workdir / "var").start()
    yield running
    running.terminate()


@pytest.fixture(scope="module")
def calls(stack: RunningStack, workdir: Path) -> Iterator[Uploader]:
    yield from uploader(stack.gateway, workdir)


def _wait_for_event(
    stack: RunningStack, topic: Topic, call_ids: list[str], timeout: float = 300
) -> None:
    """Until ``topic`` carries an event for one of ``call_ids``."""
    deadline = time.monotonic() + timeout
    wanted = set(call_ids)
    while time.monotonic() < deadline:
        records = asyncio.run(read_topic(stack.bootstrap, topic.value, timeout_ms=1000))
        if any(str(parse_envelope(r.value).data.get("call_id")) in wanted for r in records):
            return
        time.sleep(0.5)
    raise AssertionError(f"no {topic.value} event for {call_ids} in {timeout}s")


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
    _wait_for_event(stack, Topic.CALL_TRANSCRIBED, ids)
    for child in ("score", "billing"):
        killed[child] = stack.kill(child)
    _wait_for_event(stack, Topic.CALL_SCORED, ids)
    killed["gateway"] = stack.kill("gateway")
    for child, pid in killed.items():
        stack.wait_restarted(child, pid)
        assert f"{child} exited (code -9); restarting" in stack.output()

    wait_scored(calls.status, ids)
    assert_scored_exactly_once(stack, ids)


def test_the_broker_killed_and_restarted_loses_nothing(
    stack: RunningStack, calls: Uploader
) -> None:
    ids = calls.upload(3)
    old = stack.kill("broker")
    stack.wait_restarted("broker", old)
    assert "broker exited (code -9); restarting" in stack.output()

    wait_scored(calls.status, ids)
    assert_scored_exactly_once(stack, ids)


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


def test_sigterm_to_makes_process_group_leaves_no_process_and_make_up_starts_again(
    stack: RunningStack,
) -> None:
    stack.stop()
    make = RunningStack(stack.var, port=stack.port, name="make")
    make.start(["make", "--no-print-directory", "up"])
    assert make.proc is not None
    devstack_pid = int((stack.var / "devstack.pid").read_text())
    everything = [make.proc.pid, devstack_pid, *make.pids().values()]

    # What a terminal or a CI runner does: TERM to the whole group, and make passes
    # a second TERM on while the stack is already stopping.
    os.killpg(make.proc.pid, signal.SIGTERM)
    time.sleep(0.3)
    try:
        os.killpg(make.proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    make.proc.wait(120)
    make.wait_gone(everything, timeout=120)
    assert not [p for p in everything if process_alive(p)]
    assert not (stack.var / "devstack.pid").exists()

    again = RunningStack(stack.var, port=stack.port, name="make-again")
    try:
        again.start(["make", "--no-print-directory", "up"])
        assert "Clashtor is up" in again.output()
    finally:
        again.terminate()
