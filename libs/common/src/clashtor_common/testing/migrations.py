"""The one check every service's migrations pass: they build exactly what the code maps.

``upgrade head`` on an empty database creates the service's tables plus the outbox and
inbox it shares its database with, with no difference from the SQLModel tables (types
included); ``downgrade base`` removes them all again. It runs on any async URL the
service supports (SQLite in unit tests, PostgreSQL where the test server answers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord


def alembic_config(service_dir: Path, url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def managed_metadata(tables: Sequence[type[SQLModel]]) -> MetaData:
    """The service's tables with the outbox and inbox, apart from other packages' tables."""
    metadata = MetaData()
    for table in (OutboxRecord, InboxRecord, *tables):
        table.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
    return metadata


async def _schema(url: str, metadata: MetaData) -> tuple[list[Any], set[str]]:
    def read(conn: Connection) -> tuple[list[Any], set[str]]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata)), set(inspect(conn).get_table_names())

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


def assert_migrations_build_the_tables(
    service_dir: Path, tables: Sequence[type[SQLModel]], url: str, *, downgrade: bool = True
) -> None:
    """Upgrade to head matches ``tables`` exactly; downgrade to base leaves none of them.

    ``downgrade=False`` checks the upgrade only, for a database a migration cannot go
    back on (SQLite cannot drop the unnamed constraints of the gateway's 0004)."""
    metadata = managed_metadata(tables)
    config = alembic_config(service_dir, url)
    command.upgrade(config, "head")
    diff, present = asyncio.run(_schema(url, metadata))
    assert set(metadata.tables) <= present, f"missing tables: {set(metadata.tables) - present}"
    assert diff == [], f"migrations differ from the tables in code: {diff}"
    if not downgrade:
        return
    command.downgrade(config, "base")
    _, present = asyncio.run(_schema(url, metadata))
    assert present <= {"alembic_version"}, f"left after downgrade: {present}"


def sqlite_migrations_test(
    test_file: str, tables: Sequence[type[SQLModel]], *, downgrade: bool = True
) -> Callable[[Path], None]:
    """The test every service's suite holds, for the service whose ``tests/<kind>/`` holds
    ``test_file``: ``test_... = sqlite_migrations_test(__file__, TABLES)`` in a test module
    runs ``assert_migrations_build_the_tables`` on a fresh SQLite file."""
    service_dir = Path(test_file).resolve().parents[2]

    def test(tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        assert_migrations_build_the_tables(service_dir, tables, url, downgrade=downgrade)

    return test
