"""Alembic migrations build exactly the schema the models describe (and tear it down)."""

from __future__ import annotations

from pathlib import Path

from billing.adapters.tables import TABLES
from clashtor_common.testing.migrations import assert_migrations_build_the_tables

SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_upgrade_to_head_matches_the_models_and_downgrade_removes_them(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'billing.db'}"
    assert_migrations_build_the_tables(SERVICE_DIR, TABLES, url)
