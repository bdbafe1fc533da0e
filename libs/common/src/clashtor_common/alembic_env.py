"""The Alembic environment every service's ``migrations/env.py`` runs (async engine).

The URL is ``-x url=...`` when given, else the ``sqlalchemy.url`` option set by the
caller (tests), else the service's settings. Only the service's own tables (and the
outbox/inbox it shares its database with) are compared and migrated, since the global
SQLModel metadata may hold other packages' tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config
from sqlmodel import SQLModel

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord


def run_migrations(tables: Sequence[type[SQLModel]], default_url: Callable[[], str]) -> None:
    config = context.config
    own = {t.__tablename__ for t in (*tables, OutboxRecord, InboxRecord)}  # type: ignore[attr-defined]

    def url() -> str:
        given = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
            "sqlalchemy.url"
        )
        return given or default_url()

    def include_object(obj: Any, name: Any, type_: str, reflected: Any, compare_to: Any) -> bool:
        if type_ == "table":
            return name in own
        table = getattr(obj, "table", None)
        return table is None or table.name in own

    def configure(**kwargs: Any) -> None:
        context.configure(
            target_metadata=SQLModel.metadata,
            include_object=include_object,
            compare_type=True,
            render_as_batch=True,
            **kwargs,
        )

    def run_sync(connection: Connection) -> None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()

    async def run_online() -> None:
        engine = async_engine_from_config(
            {"sqlalchemy.url": url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            await connection.run_sync(run_sync)
        await engine.dispose()

    if context.is_offline_mode():
        configure(url=url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        run_sync(connection)
    else:
        asyncio.run(run_online())
