"""Alembic migrations build exactly the schema the tables declare."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from integrations.adapters.tables import TABLES

SERVICE = Path(__file__).resolve().parents[2]
OWN = {t.__tablename__ for t in (*TABLES, OutboxRecord, InboxRecord)}  # type: ignore[attr-defined]


def test_upgrade_head_matches_the_tables_and_downgrades(tmp_path: Path) -> None:
    path = tmp_path / "integrations.db"
    cfg = Config(str(SERVICE / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{path}")
    command.upgrade(cfg, "head")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, SQLModel.metadata) if _mentions_own(d)]
    assert diffs == []
    command.downgrade(cfg, "base")
    with engine.connect() as conn:
        names = set(engine.dialect.get_table_names(conn))
    assert not names & OWN
    engine.dispose()


def _mentions_own(diff: object) -> bool:
    return any(name in repr(diff) for name in OWN)
