"""The Alembic migrations on the test database server (PostgreSQL where it answers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import command

from ingest.migrations_meta import MANAGED_TABLES

from ..unit.test_migrations import alembic_config, schema_diff


def test_upgrade_head_matches_the_models_on_the_test_database(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("ingest_alembic")
    config = alembic_config(url)
    command.upgrade(config, "head")
    diff, tables = asyncio.run(schema_diff(url))
    assert {t.__tablename__ for t in MANAGED_TABLES} <= tables  # type: ignore[attr-defined]
    assert diff == []
    command.downgrade(config, "base")
    _, tables = asyncio.run(schema_diff(url))
    assert tables <= {"alembic_version"}
