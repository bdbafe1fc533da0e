"""Run a service app for real in a test: uvicorn on a free port in the running loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI

from clashtor_common.crypto import Keyring
from clashtor_common.embedded import free_port
from clashtor_common.identity import IDENTITY_HEADER, Identity, sign_identity
from clashtor_common.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def settings_for_tests(
    cls: type[S],
    service: str,
    kafka_bootstrap: str,
    database_url: str,
    s3_settings: dict[str, Any],
    **extra: Any,
) -> S:
    """A service's settings in a test, ``extra`` overriding any of them.

    The consumer group and bucket are unique (test modules share one broker and one S3),
    the master key is new, and retries and the outbox relay are fast.
    """
    tag = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "service_name": f"{service}-{tag}",
        "environment": "test",
        "kafka_bootstrap": kafka_bootstrap,
        "database_url": database_url,
        "s3_bucket": f"{service}-test-{tag}",
        "master_keys": f"test1:{Keyring.generate_key()}",
        "consumer_backoff_seconds": 0.05,
        "relay_poll_seconds": 0.1,
        "log_json": False,
        **s3_settings,
    }
    values.update(extra)
    return cls(**values)


@asynccontextmanager
async def serve(
    app: FastAPI, *, ready_path: str = "/readyz", timeout: float = 60, port: int | None = None
) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (``port``, or a free one) and yield its base URL once
    ``ready_path`` answers 200."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            while True:
                if task.done():
                    task.result()
                    raise RuntimeError("server stopped during startup")
                try:
                    if (await client.get(ready_path)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{base}{ready_path} not ready after {timeout}s")
                await asyncio.sleep(0.1)
        yield base
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


def identity_headers(
    secret: str,
    org_id: str,
    user_id: str = "user-1",
    role: str = "admin",
    team: tuple[str, ...] = (),
) -> dict[str, str]:
    """Headers carrying a signed internal identity, as the gateway sends them."""
    ident = Identity(org_id=org_id, user_id=user_id, role=role, team_user_ids=team)  # type: ignore[arg-type]
    return {IDENTITY_HEADER: sign_identity(ident, secret)}


async def migrate(url: str, service_file: str) -> None:
    """``alembic upgrade head`` for the service of ``service_file`` (its ``main.__file__``).

    For tests that use a service's HTTP routes without its lifespan: the schema comes
    from the migrations, as in the running service, never from ``create_all``.
    """
    from clashtor_common.migrate import find_migrations, upgrade_head

    migrations = find_migrations(service_file)
    if migrations is None:
        raise FileNotFoundError(f"no migrations beside {service_file}")
    await upgrade_head(url, migrations)
