"""The Alembic migrations on the test database server (PostgreSQL where it answers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clashtor_common.testing.migrations import assert_migrations_build_the_tables
from ingest.adapters.tables import TABLES

SERVICE_DIR = Path(__file__).resolve().parents[2]


def test_upgrade_head_matches_the_models_on_the_test_database(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("ingest_alembic")
    assert_migrations_build_the_tables(SERVICE_DIR, TABLES, url)
