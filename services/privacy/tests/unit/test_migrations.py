"""The Alembic history builds, on SQLite, exactly the schema the code maps (and tears it down)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from privacy.migrations_metadata import target_metadata

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(path: Path) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{path}")
    config.attributes["configure_logging"] = False
    return config


def test_upgrade_to_head_matches_the_tables_in_code_and_downgrade_removes_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "privacy.db"
    config = alembic_config(db)
    command.upgrade(config, "head")
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), target_metadata())
            tables = set(inspect(conn).get_table_names())
        assert diff == []
        assert {"privacy_requests", "privacy_acknowledgements", "outbox", "inbox"} <= tables

        command.downgrade(config, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
