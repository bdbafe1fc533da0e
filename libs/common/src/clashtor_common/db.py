"""Async SQLModel database access: one engine per service, one transaction per unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Column, DateTime, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlmodel import SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; every timestamp Clashtor stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def timestamp_column(*, nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    """A timezone-aware timestamp column (``sa_column=`` of a SQLModel field)."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


SQLITE_BUSY_SECONDS = 30
"""How long a SQLite transaction waits for the write lock (``busy_timeout``)."""
_turns_held: ContextVar[frozenset[int]] = ContextVar("clashtor_db_turns", default=frozenset())
"""The databases (``id``) whose turn the current task holds (``Database._turn``)."""


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """Owns the engine; ``session()`` yields a session inside a transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if _is_sqlite(url):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if _is_sqlite(url):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def is_sqlite(self) -> bool:
        return _is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: commits on success, rolls back on error."""
        async with self._turn():
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                async with session.begin():
                    yield session

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """SQLite: this process's transactions take turns, first come first served.

        Every SQLite transaction takes the database's write lock (``BEGIN IMMEDIATE``), and
        SQLite's busy wait is no queue: in a burst (twelve concurrent uploads on a loaded
        machine) one waiter could lose every retry for the whole busy timeout and fail
        with "database is locked" while the others got through. A session opened inside
        one that holds the turn (same task, or a task it started) does not queue again.
        """
        if not self.is_sqlite or id(self) in _turns_held.get():
            yield
            return
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        async with self._turns[1]:
            token = _turns_held.set(_turns_held.get() | {id(self)})
            try:
                yield
            finally:
                _turns_held.reset(token)

    async def create_all(self, *tables: type[SQLModel]) -> None:
        """Create the given tables (development and tests; production runs Alembic)."""
        selected = [t.__table__ for t in tables]  # type: ignore[attr-defined]
        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all, tables=selected)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The sqlite3 driver's own transaction handling breaks SAVEPOINT (a released savepoint
    # would commit); take transactions over and BEGIN ourselves (SQLAlchemy's recipe).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # deleted rows are overwritten with zeros, not left in free pages (erasure, data keys)
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads then writes never
    # fails with "database is locked" because another writer got in between.
    conn.exec_driver_sql("BEGIN IMMEDIATE")
