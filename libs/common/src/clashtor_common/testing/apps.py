"""Run a service app for real in a test: uvicorn on a free port in the running loop."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from clashtor_common.crypto import Keyring
from clashtor_common.embedded import listening_socket
from clashtor_common.identity import IDENTITY_HEADER, Identity, sign_identity
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.kafka import FAST_GROUP_JOIN, start_group_at_end

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
    the master key is new, and retries, the outbox relay and the group join are fast.
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
        **FAST_GROUP_JOIN,
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
    sock = listening_socket(port or 0)  # ours from now on, however long startup takes
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(_served(server, sock))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
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
        try:
            await asyncio.wait_for(task, timeout=30)
        finally:
            sock.close()


async def _served(server: uvicorn.Server, sock: socket.socket) -> None:
    """``server.serve()``; uvicorn ends a failed startup (its lifespan raised, e.g. the
    database refused a connection) with SystemExit(3), which asyncio lets out of the
    event loop itself and so ends a test worker's whole session: here it is an ordinary
    error of the fixture instead."""
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:
        raise RuntimeError(f"the server failed to start (uvicorn exit {exc.code})") from None


class InternalClient:
    """An httpx client of a service's ``/internal`` API that signs the caller's identity,
    as the gateway does; a service's tests add helpers for their common calls."""

    def __init__(self, base_url: str, settings: ServiceSettings, *, timeout: float = 30) -> None:
        self.base_url = base_url
        self.settings = settings
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    def headers(
        self, org: str, user: str = "user-1", role: str = "admin", team: tuple[str, ...] = ()
    ) -> dict[str, str]:
        secret = self.settings.identity_secret.get_secret_value()
        return identity_headers(secret, org, user, role, team)

    async def close(self) -> None:
        await self.http.aclose()


def service_fixtures(
    create_app: Callable[[Any], FastAPI],
    context_of: Callable[[Any], Any],
    client_class: Callable[[str, Any], InternalClient],
    *,
    consumes: Sequence[str] = (),
) -> tuple[Any, Any, Any]:
    """Module-scoped ``app_runtime``, ``ctx`` and ``client`` fixtures of one service app
    built from the module's ``settings`` fixture and served for real:
    ``app_runtime, ctx, client = service_fixtures(create_app, context_of, IngestClient)``.

    ``app_runtime`` is (base URL, runtime). With ``consumes``, the app's consumer group
    starts at those topics' end, so a module sees only the events it publishes."""

    @pytest.fixture(scope="module")
    async def app_runtime(settings: Any, kafka_bootstrap: str) -> AsyncIterator[tuple[str, Any]]:
        if consumes:
            await start_group_at_end(kafka_bootstrap, settings.consumer_group, consumes)
        app = create_app(settings)
        async with serve(app) as base_url:
            yield base_url, app.state.runtime

    @pytest.fixture(scope="module")
    def ctx(app_runtime: tuple[str, Any]) -> Any:
        return context_of(app_runtime[1])

    @pytest.fixture(scope="module")
    async def client(app_runtime: tuple[str, Any], settings: Any) -> AsyncIterator[Any]:
        made = client_class(app_runtime[0], settings)
        yield made
        await made.close()

    return app_runtime, ctx, client


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
