"""The Alembic migrations build exactly the schema the tables declare (and tear it down)."""

from __future__ import annotations

from pathlib import Path

from clashtor_common.testing.migrations import assert_migrations_build_the_tables
from ingest.adapters.tables import TABLES

SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_upgrade_to_head_matches_the_models_and_downgrade_removes_them(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}"
    assert_migrations_build_the_tables(SERVICE_DIR, TABLES, url)
