"""Alembic environment of the gateway database (async engine, SQLModel metadata).

The URL is ``-x url=...`` when given, else the ``sqlalchemy.url`` option set by the
caller, else ``GatewaySettings().database_url``. Only the gateway's own tables (and the
outbox/inbox it shares the database with) are compared and migrated.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config
from sqlmodel import SQLModel

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from gateway.adapters.tables import TABLES

config = context.config
OWN_TABLES = {t.__tablename__ for t in (*TABLES, OutboxRecord, InboxRecord)}  # type: ignore[attr-defined]
target_metadata = SQLModel.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    from gateway.settings import GatewaySettings

    return GatewaySettings().database_url


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "table":
        return name in OWN_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in OWN_TABLES


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
        render_as_batch=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = async_engine_from_config(
        {"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
    else:
        asyncio.run(run_online())
