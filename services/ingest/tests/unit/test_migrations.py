"""The Alembic migrations build exactly the schema the tables declare."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from ingest.migrations_meta import MANAGED_TABLES, metadata

SERVICE_DIR = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    config = Config(str(SERVICE_DIR / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


async def schema_diff(url: str) -> tuple[list[object], set[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(context, metadata), set(
                    inspect(sync_conn).get_table_names()
                )

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


def test_upgrade_head_creates_every_table_and_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
    command.upgrade(alembic_config(url), "head")
    diff, tables = asyncio.run(schema_diff(url))
    assert {t.__tablename__ for t in MANAGED_TABLES} <= tables  # type: ignore[attr-defined]
    assert diff == []


def test_downgrade_base_removes_them_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    _, tables = asyncio.run(schema_diff(url))
    assert tables <= {"alembic_version"}
