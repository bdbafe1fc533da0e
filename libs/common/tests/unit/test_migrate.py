"""Schemas come from Alembic: at start in development, by an init container in production."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from clashtor_common.migrate import find_migrations, upgrade_head
from clashtor_common.settings import ServiceSettings
from score import main as score_main
from score.adapters.tables import TABLES


def _tables(path: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_services_migrate_at_start_except_in_production() -> None:
    assert ServiceSettings(environment="development").migrate_on_start is True
    assert ServiceSettings(environment="test").migrate_on_start is True
    production = ServiceSettings(
        environment="production",
        master_keys="k1:" + "A" * 43 + "=",
        identity_secret="an-identity-secret-for-this-test",
        fingerprint_secret="a-fingerprint-secret-for-this-test",
    )
    assert production.migrate_on_start is False


async def test_upgrade_head_builds_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    migrations = find_migrations(score_main.__file__)
    assert migrations is not None and (migrations / "env.py").exists()
    url = f"sqlite+aiosqlite:///{tmp_path / 'score.db'}"
    assert await upgrade_head(url, migrations, TABLES) == "upgraded"
    assert await upgrade_head(url, migrations, TABLES) == "upgraded"  # already at head: no-op
    tables = _tables(tmp_path / "score.db")
    assert {"alembic_version", "outbox", "inbox"} | {t.__tablename__ for t in TABLES} <= tables


async def test_a_database_made_by_create_all_is_stamped_not_recreated(tmp_path: Path) -> None:
    """Development databases from before migrations ran at start keep their data."""
    from clashtor_common.db import Database
    from clashtor_common.inbox import InboxRecord
    from clashtor_common.outbox import OutboxRecord

    path = tmp_path / "score.db"
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    await db.create_all(OutboxRecord, InboxRecord, *TABLES)
    await db.dispose()
    migrations = find_migrations(score_main.__file__)
    assert migrations is not None
    assert await upgrade_head(url, migrations, (OutboxRecord, InboxRecord, *TABLES)) == "stamped"
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        engine.dispose()
