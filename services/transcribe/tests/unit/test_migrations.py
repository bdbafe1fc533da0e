"""Alembic migrations build exactly the schema the tables declare."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from transcribe.adapters.tables import TABLES

SERVICE = Path(__file__).resolve().parents[2]
OWN = {t.__tablename__ for t in (*TABLES, OutboxRecord, InboxRecord)}  # type: ignore[attr-defined]


def _config(url: str) -> Config:
    cfg = Config(str(SERVICE / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _own_diffs(conn) -> list[object]:  # type: ignore[no-untyped-def]
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return [d for d in compare_metadata(ctx, SQLModel.metadata) if _table_of(d) in OWN]


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        name = part if isinstance(part, str) else getattr(part, "name", None)
        if name in OWN:
            return str(name)
    return None


def test_upgrade_to_head_creates_every_table_as_the_models_define_it(tmp_path: Path) -> None:
    path = tmp_path / "transcribe.db"
    command.upgrade(_config(f"sqlite+aiosqlite:///{path}"), "head")

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= OWN
            assert _own_diffs(conn) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "transcribe.db"
    cfg = _config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert not OWN & set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
