"""Alembic migrations build exactly the schema the models describe, on SQLite and on the
test database (PostgreSQL when it answers)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from gateway.adapters.tables import TABLES

SERVICE = Path(__file__).resolve().parents[2]
OWN = {t.__tablename__ for t in (*TABLES, OutboxRecord, InboxRecord)}  # type: ignore[attr-defined]


def _config(url: str) -> Config:
    cfg = Config(str(SERVICE / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _touches_own_table(diff: Any) -> bool:
    """Whether an autogenerate diff concerns one of the gateway's tables."""
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item[1:]:
            table = getattr(part, "table", None)
            name = table.name if table is not None else getattr(part, "name", part)
            if name in OWN:
                return True
    return False


async def _inspect(url: str) -> tuple[set[str], list[Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def run(sync_conn: Any) -> tuple[set[str], list[Any]]:
                tables = set(inspect(sync_conn).get_table_names())
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                diffs = [
                    d for d in compare_metadata(ctx, SQLModel.metadata) if _touches_own_table(d)
                ]
                return tables, diffs

            return await conn.run_sync(run)
    finally:
        await engine.dispose()


def test_upgrade_head_on_sqlite_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    command.upgrade(_config(url), "head")
    tables, diffs = asyncio.run(_inspect(url))
    assert tables >= OWN
    assert diffs == []


def test_upgrade_head_on_the_test_database_matches_the_models(database_url: str) -> None:
    command.upgrade(_config(database_url), "head")
    tables, diffs = asyncio.run(_inspect(database_url))
    assert tables >= OWN
    assert diffs == []
    command.downgrade(_config(database_url), "base")
    tables, _ = asyncio.run(_inspect(database_url))
    assert not OWN & tables
