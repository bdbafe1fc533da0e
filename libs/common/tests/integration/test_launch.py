"""``launch`` (``make up`` and the end-to-end stack start each service with it): the
service's port is its own from the moment it is launched, not only once it has loaded.

Before, the port was merely found free and the service bound it after loading (Whisper
takes seconds); another process could take it meanwhile, and the service then died of
EADDRINUSE ("transcribe exited before it was ready" in a CI run of the fault tests).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from clashtor_common.devstack import launch, stop_process, wait_ready
from clashtor_common.embedded import free_port, is_free, listening_socket

SLOW_APP = """
import time
from fastapi import FastAPI

def create_app() -> FastAPI:
    time.sleep(2)  # loading, as transcribe loads its model
    app = FastAPI()

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
"""


def service_package(tmp_path: Path, name: str, source: str) -> dict[str, str]:
    """A package ``name`` with ``source`` as its ``main``: the environment that imports it."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(textwrap.dedent(source))
    path = os.pathsep.join([str(tmp_path), *sys.path])
    return {**os.environ, "PYTHONPATH": path}


@contextmanager
def launched(
    name: str, port: int, env: dict[str, str], log_dir: Path, **options: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """``launch``'s process (its log ``<name>.log`` in ``log_dir``), stopped when the block
    ends, whether its assertions passed or not."""
    proc = launch(name, port, env, log_dir / f"{name}.log", **options)
    try:
        yield proc
    finally:
        stop_process(proc)


@pytest.fixture
def slow_service(tmp_path: Path) -> dict[str, str]:
    return service_package(tmp_path, "slowsvc", SLOW_APP)


def test_a_launched_service_holds_its_port_while_it_loads(
    slow_service: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    with launched("slowsvc", port, slow_service, tmp_path) as proc:
        assert not is_free(port)  # before: free until the app had loaded
        with pytest.raises(OSError):
            listening_socket(port).close()  # nobody else gets it meanwhile
        url = f"http://127.0.0.1:{port}"
        wait_ready({"slowsvc": url}, {"slowsvc": proc}, timeout=60, quiet=True)
        assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
    assert is_free(port)  # stopped: the port is closed, not held by the launcher


def test_a_service_launched_on_a_held_socket_listens_on_it(
    slow_service: dict[str, str], tmp_path: Path
) -> None:
    held = listening_socket()
    port = held.getsockname()[1]
    with launched("slowsvc", port, slow_service, tmp_path, sock=held) as proc:
        assert held.fileno() == -1  # handed over: the launcher keeps no copy
        url = f"http://127.0.0.1:{port}"
        wait_ready({"slowsvc": url}, {"slowsvc": proc}, timeout=60, quiet=True)
    assert is_free(port)


PID_APP = """
import os, signal
from fastapi import FastAPI

def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/readyz")
    def ready() -> dict[str, int]:
        return {"pid": os.getpid()}

    @app.on_event("shutdown")
    def stopped() -> None:  # a graceful stop of each worker leaves its mark
        open(os.environ["PIDSVC_MARKS"] + f"/{os.getpid()}", "w").close()

    return app
"""


@pytest.fixture
def pid_service(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "marks").mkdir()
    return {
        **service_package(tmp_path, "pidsvc", PID_APP),
        "PIDSVC_WORKERS": "3",
        "PIDSVC_DATABASE_URL": "postgresql+asyncpg://unused",  # more than one needs PostgreSQL
        "PIDSVC_MARKS": str(tmp_path / "marks"),
    }


def _answering_pids(proc: subprocess.Popen[bytes], port: int, wanted: int = 3) -> set[int]:
    """Once the service is ready: the pids that answered fresh connections, until
    ``wanted`` of them did (or 30 s: a worker may still be loading when the first is)."""
    url = f"http://127.0.0.1:{port}"
    wait_ready({"pidsvc": url}, {"pidsvc": proc}, timeout=60, quiet=True)
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with httpx.Client() as client:  # a new connection each: the kernel picks a worker
            pids.add(client.get(f"{url}/readyz").json()["pid"])
        if len(pids) >= wanted:
            break
    return pids


def test_a_service_with_workers_is_served_by_each_and_stopped_whole(
    pid_service: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    with launched("pidsvc", port, pid_service, tmp_path) as proc:
        pids = _answering_pids(proc, port)
        assert len(pids) == 3 and proc.pid in pids  # the first and its two forks
    assert proc.returncode == -signal.SIGTERM  # as a single process ends: uvicorn re-raises it
    assert {int(p.name) for p in (tmp_path / "marks").iterdir()} == pids  # each stopped gracefully
    for pid in pids - {proc.pid}:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # waited for by the first: gone, not a zombie or an orphan
    assert is_free(port)


def _listening_sockets(pid: int, port: int) -> set[str]:
    """The sockets (``socket:[inode]``) ``pid`` listens on ``port`` with."""
    import psutil

    return {
        os.readlink(f"/proc/{pid}/fd/{conn.fd}")
        for conn in psutil.Process(pid).net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
    }


def test_each_worker_listens_on_a_socket_of_its_own(
    pid_service: dict[str, str], tmp_path: Path
) -> None:
    """One accept queue per process, the kernel spreading connections across them: on one
    shared queue, the first process awake took a whole burst of new connections at once."""
    port = free_port()
    with launched("pidsvc", port, pid_service, tmp_path) as proc:
        pids = _answering_pids(proc, port)
        sockets = [_listening_sockets(pid, port) for pid in pids]
        assert [len(held) for held in sockets] == [1, 1, 1]
        assert len(set().union(*sockets)) == 3  # before: the one socket of the first, in all
        with pytest.raises(OSError):
            listening_socket(port).close()  # still the service's alone
        with pytest.raises(OSError):  # nor can another launcher's shared bind join it
            listening_socket(port, shared=True).close()
    assert is_free(port)


def test_a_shared_bind_of_a_held_port_is_refused() -> None:
    """Another stack, or a restart racing one, binding a port held with SO_REUSEPORT: the
    kernel would let it join and the two would split the connections without an error."""
    held = listening_socket(0, shared=True)
    port = held.getsockname()[1]
    try:
        with pytest.raises(OSError):
            listening_socket(port, shared=True).close()
    finally:
        held.close()
    listening_socket(port, shared=True).close()  # free again: bound as before


def test_killing_a_service_with_workers_kills_every_worker(
    pid_service: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    proc = launch("pidsvc", port, pid_service, tmp_path / "pidsvc.log")
    pids = _answering_pids(proc, port)
    assert len(pids) == 3
    os.kill(proc.pid, signal.SIGKILL)  # the first process alone, as a crash would
    proc.wait(10)
    stop_process(proc)  # what make up and the e2e stack do before starting it again
    assert not any(_alive(pid) for pid in pids), "every worker died with the first"
    assert is_free(port), "the port is free for the restart"


def test_workers_are_refused_where_replicas_would_not_be_correct(
    pid_service: dict[str, str], tmp_path: Path
) -> None:
    sqlite = {**pid_service, "PIDSVC_DATABASE_URL": "sqlite+aiosqlite:///x.db"}
    with pytest.raises(ValueError, match="PostgreSQL"):
        launch("pidsvc", free_port(), sqlite, tmp_path / "pidsvc.log")
    metrics = {**pid_service, "PIDSVC_METRICS_PORT": "9464"}
    with pytest.raises(ValueError, match="metrics port"):
        launch("pidsvc", free_port(), metrics, tmp_path / "pidsvc.log")


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
