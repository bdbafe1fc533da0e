"""Fault tests: the real ``make up`` stack, one per test module, with faults injected.

Expensive (a whole stack, real transcription): marked ``faults`` and ``slow`` so
``make test`` runs them and ``make test-fast`` does not; each test is bounded by
timeouts. ``stack`` and ``calls`` are per module: faults that can follow one another
on one stack share a module (``test_nothing_lost``), since a start is most of their
cost; ``make test`` hands these modules out first
(``clashtor_common.testing.scheduling``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clashtor_callgen import generate_call, short_script
from clashtor_common.testing.modules import load_module

from .running import RunningStack

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANTS = [
    {"name": "Rita Rep", "email": "rita.rep@seller.example", "role": "rep"},
    {"name": "Carl Customer", "email": "carl.customer@buyer.example", "role": "customer"},
]


def _e2e_client() -> ModuleType:
    """The end-to-end tests' public-API client (one client, not two)."""
    return load_module(ROOT / "tests/e2e/client.py", "faults_e2e_client")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.slow)


class Uploader:
    """Signs up once, then uploads distinct short calls (identical ones would be deduplicated)."""

    def __init__(self, gateway: str, workdir: Path) -> None:
        self.client: Any = _e2e_client().Clashtor(gateway)
        self.client.signup()
        self.workdir = workdir
        self.made = 0

    def upload(self, count: int) -> list[str]:
        ids = []
        for _ in range(count):
            self.made += 1
            call = generate_call(short_script(), layout="stereo", pause=0.4 + 0.03 * self.made)
            created = self.client.upload(
                call.path, title=f"fault call {self.made}", participants=PARTICIPANTS
            )
            ids.append(str(created["id"]))
        return ids

    def status(self, call_id: str) -> str | None:
        import httpx

        try:
            resp = self.client.call(call_id)
        except httpx.HTTPError:
            return None  # the gateway itself may be restarting
        return str(resp.json()["status"]) if resp.status_code == 200 else None

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(f"faults-{uuid.uuid4().hex[:6]}")


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=str)


@pytest.fixture(scope="module")
def stack(workdir: Path) -> Iterator[RunningStack]:
    """The module's ``make up`` stack (``test_s3_outage`` has its own kind)."""
    running = RunningStack(workdir / "var").start()
    yield running
    running.terminate()


@pytest.fixture(scope="module")
def calls(stack: RunningStack, workdir: Path) -> Iterator[Uploader]:
    """Uploads through the module's stack (``make up``'s, or a module's own ``stack``)."""
    up = Uploader(stack.gateway, workdir)
    try:
        yield up
    finally:
        up.close()
