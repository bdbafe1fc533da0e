"""A service's PostgreSQL pool is a setting: after a burst it keeps only its pool size
open, so many processes on one server stay under its max_connections."""

from __future__ import annotations

import asyncio

import pytest
from pydantic_settings import SettingsConfigDict
from sqlalchemy import text

from clashtor_common.db import Database
from clashtor_common.service import ServiceRuntime
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.plugin import postgres_available

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL")


class PooledSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="POOLED_", extra="ignore")


async def _open_to(url: str) -> int:
    """Connections open to ``url``'s database, seen from a connection of its own."""
    observer = Database(url, pool_size=1, max_overflow=0)
    try:
        async with observer.session() as session:
            count = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return int(count or 0)
    finally:
        await observer.engine.dispose()


async def test_a_burst_leaves_only_the_pool_size_open(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOLED_DATABASE_POOL_SIZE", "2")
    monkeypatch.setenv("POOLED_DATABASE_MAX_OVERFLOW", "5")
    runtime = ServiceRuntime.build(PooledSettings(database_url=database_url))
    db = runtime.db

    async def hold() -> None:
        async with db.session() as session:
            await session.execute(text("SELECT pg_sleep(0.3)"))

    try:
        await asyncio.gather(*(hold() for _ in range(7)))
        assert await _open_to(database_url) == 2
    finally:
        await db.engine.dispose()


async def test_the_overflow_bounds_a_burst(database_url: str) -> None:
    db = Database(database_url, pool_size=1, max_overflow=1)
    inside = 0
    most = 0

    async def hold() -> None:
        nonlocal inside, most
        async with db.session() as session:
            await session.execute(text("SELECT 1"))
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.2)
            inside -= 1

    try:
        await asyncio.gather(*(hold() for _ in range(5)))
        assert most == 2
    finally:
        await db.engine.dispose()


def test_test_processes_default_to_a_small_pool() -> None:
    """Set by the test plugin for every service (``TEST_POOL``), inherited by the stacks
    the tests start."""

    class IngestLike(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    assert IngestLike().database_pool_size == 2
