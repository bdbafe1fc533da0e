"""The whole system for a benchmark: tests/e2e's ``Stack`` and a signed-up organization.

``Stack.start()`` is synchronous (it runs its own ``asyncio.run`` for the topics), so
it is started and stopped in a worker thread, off the benchmark's event loop. The
work directory (service logs under ``log/``) is removed after a clean run and kept,
with its path printed, when the run fails or ``BENCH_KEEP_WORKDIR=1``: a failing
benchmark leaves its evidence behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `tests.e2e.stack` is imported from the repository root
    sys.path.insert(0, str(REPO))

from tests.e2e.stack import Stack  # noqa: E402

KEEP_WORKDIR = os.environ.get("BENCH_KEEP_WORKDIR", "") == "1"
_keep: set[Path] = set()


def keep_logs(stack: Stack) -> None:
    """Keep this stack's work directory after a clean exit: it holds evidence."""
    _keep.add(stack.workdir)


@asynccontextmanager
async def running_stack(
    label: str, extra_env: dict[str, dict[str, str]] | None = None
) -> AsyncIterator[Stack]:
    """Six service processes on a private broker, S3 and databases, stopped on exit."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    stack = Stack(workdir, extra_env=extra_env or {})
    failed = True
    try:
        await asyncio.to_thread(stack.start)
        yield stack
        failed = False
    finally:
        await asyncio.to_thread(stack.stop)
        if failed or KEEP_WORKDIR or workdir in _keep:
            print(f"   stack work directory kept (logs in {workdir / 'log'})", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@dataclass(frozen=True)
class Account:
    """An organization's owner with an API key: what the public API is called with."""

    api_key: str
    org_id: str
    user_id: str
    role: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def sign_up(gateway: str) -> Account:
    """Sign up a new organization (session + CSRF), then make an API key for the rest."""
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        resp = await client.post(
            "/v1/auth/signup",
            json={
                "name": "Olive Owner",
                "email": f"owner-{uuid.uuid4().hex[:8]}@seller.example",
                "password": "correct horse battery staple 42",
                "organization": f"Bench {uuid.uuid4().hex[:6]}",
            },
        )
        resp.raise_for_status()
        body = resp.json()
        key = await client.post(
            "/v1/api-keys",
            json={"name": "bench"},
            headers={"X-CSRF-Token": body["csrf_token"]},
        )
        key.raise_for_status()
    user = body["user"]
    return Account(
        api_key=key.json()["key"],
        org_id=user["organization"]["id"],
        user_id=user["id"],
        role=key.json()["role"],
    )


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    audio: bytes,
    *,
    filename: str,
    title: str,
    participants: list[dict[str, str]],
) -> str:
    """``POST /v1/calls`` through the gateway; the call id (new or the de-duplicated one)."""
    resp = await client.post(
        "/v1/calls",
        headers=account.bearer,
        files={"file": (filename, audio, "application/octet-stream")},
        data={"title": title, "participants": json.dumps(participants)},
    )
    if resp.status_code not in (200, 202):
        raise RuntimeError(f"upload {title!r} answered {resp.status_code}: {resp.text[:300]}")
    return str(resp.json()["id"])
