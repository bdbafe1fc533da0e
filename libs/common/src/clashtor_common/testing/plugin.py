"""Pytest fixtures that start the real parts on free ports and stop them afterwards.

- ``kafka_bootstrap``: a Tansu broker for the session, every topic created;
- ``s3_settings``: SeaweedFS S3 for the session (endpoint and credentials);
- ``database_url``: a fresh PostgreSQL database per test module when
  127.0.0.1:5432 answers, a fresh SQLite file otherwise;
- ``service_settings``: a factory of per-service settings pointing at all of the above.

It also orders ``make test``'s files for xdist, heavy ones first (``scheduling``), and
keeps every service's PostgreSQL pool small (``TEST_POOL``): two test workers each run
stacks of seven services beside in-process apps, and ten idle connections per service
passed the server's 100 ("too many clients already").
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from clashtor_common.embedded import SeaweedS3, TansuBroker, ensure_topics
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.scheduling import pytest_xdist_make_scheduler  # noqa: F401

S = TypeVar("S", bound=ServiceSettings)

PG_HOST, PG_PORT = "127.0.0.1", 5432

TEST_POOL = {"DATABASE_POOL_SIZE": "2", "DATABASE_MAX_OVERFLOW": "8"}
"""Every service's pool in tests, unless the environment names its own: two connections
kept, eight more under a burst, closed when given back."""


def pytest_configure(config: pytest.Config) -> None:
    """Small pools for the services of this test process and the stacks it starts (they
    inherit the environment)."""
    from clashtor_common.devstack import SERVICES

    for service in SERVICES:
        for name, value in TEST_POOL.items():
            os.environ.setdefault(f"{service.upper()}_{name}", value)


def postgres_available() -> bool:
    if os.environ.get("CLASHTOR_TEST_SQLITE"):
        return False
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((PG_HOST, PG_PORT)) == 0


def _admin_execute(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", database="postgres"
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def create_database(tmp_dir: Path, label: str) -> tuple[str, Callable[[], None]]:
    """A fresh database URL and its cleanup."""
    name = f"t_{label[:30]}_{uuid.uuid4().hex[:10]}".lower().replace("-", "_").replace(".", "_")
    if postgres_available():
        _admin_execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
        return url, lambda: _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    path = tmp_dir / f"{name}.db"
    return f"sqlite+aiosqlite:///{path}", lambda: None


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    log = tmp_path_factory.mktemp("tansu") / "tansu.log"
    broker = TansuBroker(log_path=log).start()
    asyncio.run(ensure_topics(broker.bootstrap))
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(tansu: TansuBroker) -> str:
    return tansu.bootstrap


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    base = tmp_path_factory.mktemp("seaweed")
    s3 = SeaweedS3(data_dir=base / "data", log_path=base / "weed.log").start()
    yield s3
    s3.kill()  # the data is thrown away: SIGINT would cost stop()'s whole grace (weed takes ~25 s)


@pytest.fixture(scope="session")
def s3_settings(seaweed: SeaweedS3) -> dict[str, Any]:
    return {
        "s3_endpoint": seaweed.endpoint,
        "s3_access_key": seaweed.access_key,
        "s3_secret_key": seaweed.secret_key,
    }


@pytest.fixture(scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    label = request.module.__name__.rsplit(".", 1)[-1]
    url, cleanup = create_database(tmp_path_factory.mktemp("db"), label)
    yield url
    cleanup()


@pytest.fixture
def make_database_url(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Factory for extra databases inside one test (one per service in e2e tests)."""
    cleanups: list[Callable[[], None]] = []

    def make(label: str) -> str:
        url, cleanup = create_database(tmp_path, label)
        cleanups.append(cleanup)
        return url

    yield make
    for cleanup in cleanups:
        cleanup()
