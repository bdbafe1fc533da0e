"""``make up`` under a terminal's or a CI runner's SIGTERM: TERM to make's whole
process group (twice, as make passes a second one on) leaves no process and no pid
file behind, and the next ``make up`` on the same ``var/`` starts.

Drives ``make up`` itself, not ``devstack`` (a module of its own: the other faults
use the ``stack`` fixture).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from .running import RunningStack, process_alive


def test_sigterm_to_makes_process_group_leaves_no_process_and_make_up_starts_again(
    workdir: Path,
) -> None:
    make = RunningStack(workdir / "var", name="make")
    try:
        _sigterm_leaves_nothing_and_make_up_starts_again(make)
    finally:
        make.terminate()  # only if the test failed half-way


def _sigterm_leaves_nothing_and_make_up_starts_again(make: RunningStack) -> None:
    make.start(["make", "--no-print-directory", "up"])
    assert make.proc is not None
    devstack_pid = int((make.var / "devstack.pid").read_text())
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
    assert not (make.var / "devstack.pid").exists()

    again = RunningStack(make.var, port=make.port, name="make-again")
    try:
        again.start(["make", "--no-print-directory", "up"])
        assert "Clashtor is up" in again.output()
    finally:
        again.terminate()
