"""Alembic ``upgrade head`` for a service's database: at start (development) or as a step.

Schemas are made by migrations only: in development a service upgrades its own
database when it starts (``migrate_on_start``); in production an init container runs
``python -m clashtor_common.migrate /app/migrations`` with ``DATABASE_URL`` before the
service container starts, and the service itself never touches the schema.

A development database made by the old ``create_all`` (every table there, no
``alembic_version``) is stamped at head instead of failing on "table exists".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

log = logging.getLogger(__name__)


def find_migrations(package_file: str) -> Path | None:
    """``services/<name>/migrations`` beside the source tree, else ``./migrations`` (image)."""
    for candidate in (Path(package_file).resolve().parents[2] / "migrations", Path("migrations")):
        if (candidate / "env.py").exists():
            return candidate.resolve()
    return None


def _config(migrations: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: ``pg_advisory_lock`` key: replicas (init containers) starting together migrate in turn.
MIGRATION_LOCK = 0x0C1A5170


async def upgrade_head(url: str, migrations: Path, tables: Sequence[type[SQLModel]] = ()) -> str:
    """Bring the database at ``url`` to the newest revision; returns what it did.

    Alembic runs in a worker thread: every service's ``env.py`` drives its async engine
    with ``asyncio.run``, which cannot nest inside the service's running loop. On
    PostgreSQL a session advisory lock is held meanwhile, so two pods never migrate
    at once (the second finds the schema at head and does nothing).
    """
    names = {t.__tablename__ for t in tables}  # type: ignore[attr-defined]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            locking = conn.dialect.name == "postgresql"
            if locking:
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
                await conn.commit()
            try:
                existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
                await conn.rollback()
                config = _config(migrations, url)
                if "alembic_version" not in existing and names and names <= existing:
                    await asyncio.to_thread(command.stamp, config, "head")
                    done = "stamped"
                else:
                    await asyncio.to_thread(command.upgrade, config, "head")
                    done = "upgraded"
            finally:
                if locking:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                    await conn.commit()
    finally:
        await engine.dispose()
    log.info("database schema %s to head (%s)", done, migrations)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="alembic upgrade head for one service")
    parser.add_argument("migrations", type=Path, help="the service's migrations directory")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is required")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    print(asyncio.run(upgrade_head(args.database_url, args.migrations)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
