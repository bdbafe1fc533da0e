"""``launch`` (``make up`` and the end-to-end stack start each service with it): the
service's port is its own from the moment it is launched, not only once it has loaded.

Before, the port was merely found free and the service bound it after loading (Whisper
takes seconds); another process could take it meanwhile, and the service then died of
EADDRINUSE ("transcribe exited before it was ready" in a CI run of the fault tests).
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

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


@pytest.fixture
def slow_service(tmp_path: Path) -> dict[str, str]:
    package = tmp_path / "slowsvc"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(textwrap.dedent(SLOW_APP))
    path = os.pathsep.join([str(tmp_path), *sys.path])
    return {**os.environ, "PYTHONPATH": path}


def test_a_launched_service_holds_its_port_while_it_loads(
    slow_service: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    proc = launch("slowsvc", port, slow_service, tmp_path / "slowsvc.log")
    try:
        assert not is_free(port)  # before: free until the app had loaded
        with pytest.raises(OSError):
            listening_socket(port).close()  # nobody else gets it meanwhile
        url = f"http://127.0.0.1:{port}"
        wait_ready({"slowsvc": url}, {"slowsvc": proc}, timeout=60, quiet=True)
        assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
    finally:
        stop_process(proc)
    assert is_free(port)  # stopped: the port is closed, not held by the launcher


def test_a_service_launched_on_a_held_socket_listens_on_it(
    slow_service: dict[str, str], tmp_path: Path
) -> None:
    held = listening_socket()
    port = held.getsockname()[1]
    proc = launch("slowsvc", port, slow_service, tmp_path / "slowsvc.log", sock=held)
    try:
        assert held.fileno() == -1  # handed over: the launcher keeps no copy
        url = f"http://127.0.0.1:{port}"
        wait_ready({"slowsvc": url}, {"slowsvc": proc}, timeout=60, quiet=True)
    finally:
        stop_process(proc)
    assert is_free(port)
