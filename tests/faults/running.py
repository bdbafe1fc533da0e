"""``make up`` as a test drives it: started, stopped, killed, and looked into.

The stack under test is the real one: ``python -m clashtor_common.devstack`` (or ``make
up`` itself) in its own process group, with its state under a temporary ``var/``, the
durable broker on the embedded SeaweedFS, SQLite per service.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from clashtor_common.devstack import SERVICES
from clashtor_common.embedded import free_port
from clashtor_common.testing.kafka import fast_group_join_env

from ..e2e.stack import FAST_TRANSCRIPTION

ROOT = Path(__file__).resolve().parents[2]
UP_TIMEOUT = 420
FAST_GROUP_JOINS = {k: v for name in SERVICES for k, v in fast_group_join_env(name).items()}


def process_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@dataclass
class RunningStack:
    """One ``make up`` stack on a ``var`` directory of its own."""

    var: Path
    port: int = field(default_factory=free_port)
    env_extra: dict[str, str] = field(default_factory=dict)
    name: str = "devstack"
    proc: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def console(self) -> Path:
        """What the stack printed (one file per start, kept for a failing test's report)."""
        return self.var / f"console-{self.name}-{self.runs}.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CLASHTOR_VAR": str(self.var),
            "CLASHTOR_PORT": str(self.port),
            **FAST_TRANSCRIPTION,  # the faults are about delivery, not accuracy
            **FAST_GROUP_JOINS,  # a killed consumer's partitions move on within 3 s
            # a call whose worker was killed (or stopped) is picked again 15 s after its
            # last lease renewal, not 60: the same recovery, sooner
            "TRANSCRIBE_JOB_LEASE_SECONDS": "15",
            **self.env_extra,
        }

    def start(self, command: Sequence[str] | None = None) -> RunningStack:
        """Start the stack (``devstack`` directly, or e.g. ``make up``) and wait until up."""
        self.var.mkdir(parents=True, exist_ok=True)
        self.runs += 1
        out = open(self.console, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            list(command or [sys.executable, "-m", "clashtor_common.devstack"]),
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_up()
        return self

    def wait_up(self, timeout: float = UP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while "Clashtor is up" not in self.output():
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"make up exited {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not up after {timeout}s:\n{self.output()}")
            time.sleep(0.5)

    def output(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def state(self) -> dict[str, Any]:
        return dict(json.loads((self.var / "devstack.json").read_text()))

    def pids(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.state()["pids"].items()}

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bootstrap(self) -> str:
        return str(self.state()["kafka_bootstrap"])

    def kill(self, child: str) -> int:
        """SIGKILL one child of the stack (a crash); the stack restarts it."""
        pid = self.pids()[child]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, child: str, old_pid: int, timeout: float = 240) -> None:
        """Until the stack has a new process for ``child`` and (a service) it is ready."""
        deadline = time.monotonic() + timeout
        while True:
            pid = self.pids().get(child)
            if pid and pid != old_pid and self._ready(child):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{child} not back after {timeout}s:\n{self.output()}")
            time.sleep(0.5)

    def _ready(self, child: str) -> bool:
        url = self.state()["services"].get(child)
        if url is None:
            return True
        try:
            return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGINT, timeout: float = 90) -> None:
        """Ctrl-C (or ``sig``) to the stack; waits until it and all its children are gone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        children = list(self.pids().values()) if (self.var / "devstack.json").exists() else []
        os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout)
        self.wait_gone(children, timeout)

    def wait_gone(self, pids: Sequence[int], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while any(process_alive(p) for p in pids):
            if time.monotonic() > deadline:
                left = [p for p in pids if process_alive(p)]
                raise AssertionError(f"processes left behind: {left}")
            time.sleep(0.2)

    def terminate(self) -> None:
        """Teardown: stop whatever is left, however it is."""
        try:
            self.stop(timeout=60)
        except Exception:
            if self.proc is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)

    # -- what the services stored -------------------------------------------------------

    def count_rows(self, service: str, table: str, call_id: str) -> int:
        path = self.var / "db" / f"{service}.db"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
            return int(
                db.execute(
                    f"SELECT count(*) FROM {table} WHERE call_id = ?", (call_id,)
                ).fetchone()[0]
            )
