"""Async SQLModel database access: one engine per service, one transaction per unit of work."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, overload

from sqlalchemy import Column, DateTime, event, exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar


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
SQLITE_TURN_SECONDS = SQLITE_BUSY_SECONDS
"""How long a SQLite transaction waits for its turn in this process (``Database._turn``)."""


class _OrgRow(Protocol):
    org_id: str


Row = TypeVar("Row", bound=_OrgRow)
T = TypeVar("T")


class OrgRepository:
    """The base of a service's repositories: one organization's rows, read and written
    inside the caller's session (its transaction), so every query can scope by ``org_id``."""

    def __init__(self, session: AsyncSession, org_id: str) -> None:
        self.session = session
        self.org_id = org_id

    def owned(self, table: type[Row], *where: Any) -> SelectOfScalar[Row]:
        """``table``'s rows of this organization that meet ``where``: where a query for
        whole rows starts, so the organization is written once, not left out."""
        return select(table).where(table.org_id == self.org_id, *where)

    async def all(self, query: SelectOfScalar[T]) -> list[T]:
        return list((await self.session.execute(query)).scalars().all())

    async def one_or_none(self, query: SelectOfScalar[T]) -> T | None:
        """The query's one row, or None (more than one is a bug: it raises)."""
        return (await self.session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class _Held:
    """A database's turn (``Database._turn``) or open sessions, held by one task.

    The task is kept because a context variable is copied into every task started
    while it is set: a task spawned inside a session must not take itself for its owner.
    ``sessions``: the task's open sessions with a connection of their own, outermost first.
    """

    owner: asyncio.Task[Any] | None
    sessions: tuple[AsyncSession, ...] = ()


_NONE_HELD: Mapping[int, _Held] = MappingProxyType({})
_turns_held: ContextVar[Mapping[int, _Held]] = ContextVar("clashtor_db_turns", default=_NONE_HELD)
"""The databases (``id``) whose turn the current task holds (never mutated: replaced)."""
_outer_sessions: ContextVar[Mapping[int, _Held]] = ContextVar(
    "clashtor_db_outer_sessions", default=_NONE_HELD
)
"""The sessions with a connection of their own the current task has open on each SQLite
database (``Database.outermost``)."""


def _held_here(var: ContextVar[Mapping[int, _Held]], key: int) -> _Held | None:
    held = var.get().get(key)
    if held is None or held.owner is not asyncio.current_task():
        return None
    return held


def _began(session: AsyncSession) -> bool:
    """Whether ``session`` holds a connection in a transaction (on SQLite: the write lock)."""
    return bool(session.sync_session.info.get(_BEGAN))


_BEGAN = "clashtor_began"


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    """Owns the engine; ``session()`` yields a session inside a transaction."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 10
    ) -> None:
        """``pool_size`` connections stay open once used; up to ``max_overflow`` more are
        opened under load and closed when given back (PostgreSQL only)."""
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if _is_sqlite(url):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
            # the pool's rollback on return is done by ``_sqlite_reset``, only when needed
            kwargs["pool_reset_on_return"] = None
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if _is_sqlite(url):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def is_sqlite(self) -> bool:
        return _is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: commits on success, rolls back on error.

        SQLite: inside a session of this task's that has begun writing (it holds the
        database's one write lock), the new session is a savepoint on that session's
        connection instead of a second connection, which would wait for the lock its own
        caller holds until the busy timeout. It commits with the outer transaction.
        The outer is the innermost such session that began, at any depth.

        The savepoint's release is no commit: what the nested session left for after
        its commit (``session.info`` entries such as ``outbox_dirty``, its own
        ``after_commit``/``after_rollback`` listeners) is handed to the outer session
        before the release, so it takes effect at the outer's real commit, and not at
        all if the outer rolls back. A nested session that fails (or rolls back) drops
        its own and leaves the outer's as they were.
        """
        holder = self._writing_session() if self.is_sqlite else None
        if holder is not None:
            connection = await holder.connection()
            async with AsyncSession(
                bind=connection,
                expire_on_commit=False,
                join_transaction_mode="create_savepoint",
            ) as nested:
                async with nested.begin():
                    yield nested
                    _hand_over(nested.sync_session, holder.sync_session)
            return
        async with self._turn():
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                with self.outermost(session):
                    async with session.begin():
                        yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection of its own in a transaction for reads only: what was committed.

        SQLite: a deferred transaction (``BEGIN``), a snapshot of the WAL that takes
        neither the database's write lock nor this process's turn (``_turn``), so a read
        on a hot path (the relay's next rows, a consumer's inbox) does not queue behind
        every request that writes, nor hold them up. It does not see the uncommitted
        writes of a session the task has open: use it outside sessions.
        """
        options: dict[str, Any] = {_READ_ONLY: True}
        if not self.is_sqlite:
            options["postgresql_readonly"] = True  # BEGIN READ ONLY
        async with self.engine.connect() as connection:
            await connection.execution_options(**options)
            async with connection.begin():
                yield connection

    @contextmanager
    def outermost(self, session: AsyncSession) -> Iterator[None]:
        """While open, ``session`` (with a connection of its own) is one of the task's on
        this database (SQLite): sessions opened inside it once it has begun are savepoints
        on it, or on a session opened inside it that began (and holds the write lock)."""
        if not self.is_sqlite:
            yield
            return
        held = _held_here(_outer_sessions, id(self))
        sessions = (*(held.sessions if held else ()), session)
        mine = _Held(asyncio.current_task(), sessions)
        token = _outer_sessions.set({**_outer_sessions.get(), id(self): mine})
        try:
            yield
        finally:
            _outer_sessions.reset(token)

    def _writing_session(self) -> AsyncSession | None:
        """The innermost of the task's open sessions that began (holds the write lock)."""
        held = _held_here(_outer_sessions, id(self))
        for session in reversed(held.sessions if held else ()):
            if _began(session):
                return session
        return None

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """SQLite: this process's transactions take turns, first come first served.

        Every SQLite transaction takes the database's write lock (``BEGIN IMMEDIATE``), and
        SQLite's busy wait is no queue: in a burst (twelve concurrent uploads on a loaded
        machine) one waiter could lose every retry for the whole busy timeout and fail
        with "database is locked" while the others got through. A session opened inside
        one that holds the turn in the same task does not queue again; a task started
        inside it does (it runs alongside its parent, which may go on writing).

        The wait is bounded (as long as the busy timeout) and ends as SQLite's would, in
        ``OperationalError`` "database is locked" (transient to callers): a task spawned
        inside a session and awaited by it (``gather``, ``TaskGroup``, ``wait_for``) waits
        for its own parent, which waits for it.
        """
        if not self.is_sqlite or _held_here(_turns_held, id(self)) is not None:
            yield
            return
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Lock())
        lock = self._turns[1]
        try:
            async with asyncio.timeout(SQLITE_TURN_SECONDS):
                await lock.acquire()
        except TimeoutError:
            raise _database_locked() from None
        try:
            held = _Held(asyncio.current_task())
            token = _turns_held.set({**_turns_held.get(), id(self): held})
            try:
                yield
            finally:
                _turns_held.reset(token)
        finally:
            lock.release()

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


def _hand_over(nested: Session, outer: Session) -> None:
    """Give ``outer`` what ``nested`` left for after its commit (see ``Database.session``):
    its ``info`` entries (lists and dicts joined, flags or-ed) and its own listeners."""
    for key in [key for key in nested.info if key != _BEGAN]:
        outer.info[key] = _joined(outer.info.get(key), nested.info.pop(key))
    for name in ("after_commit", "after_rollback"):
        listeners = getattr(nested.dispatch, name)
        own = list(getattr(listeners, "listeners", ()))  # the session's, not its class's
        if own:
            for fn in own:
                event.listen(outer, name, fn)
            listeners.clear()


def _joined(old: Any, new: Any) -> Any:
    if old is None:
        return new
    if isinstance(old, list):
        return [*old, *new]
    if isinstance(old, dict):
        return {**old, **new}
    if isinstance(old, set):
        return old | new
    return old or new


class CommitSignal:
    """A flag a transaction raises (``mark``) to wake background loops once it commits.

    What wrote rows a loop acts on (usage to report, data keys destroyed) marks its
    session; when that transaction commits, every subscriber of this process is called
    (after the commit: the loop sees the rows), and when it rolls back the flag is
    dropped. A nested session's flag goes to the outer session (``Database.session``),
    so it fires at the real commit. One per kind, at module level (its listeners are the
    ``Session`` class's for the life of the process)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._subscribers: set[Callable[[], None]] = set()
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_rollback", self._rolled_back)

    def mark(self, session: Session | AsyncSession) -> None:
        session.info[self.key] = True

    def subscribe(self, wake: Callable[[], None]) -> None:
        self._subscribers.add(wake)

    def unsubscribe(self, wake: Callable[[], None]) -> None:
        self._subscribers.discard(wake)

    def _committed(self, session: Session) -> None:
        if session.info.pop(self.key, False):
            for wake in list(self._subscribers):
                wake()

    def _rolled_back(self, session: Session) -> None:
        session.info.pop(self.key, None)


def _database_locked() -> exc.OperationalError:
    """The error the sqlite3 driver raises when the busy timeout runs out."""
    return exc.OperationalError(
        "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
    )


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


_READ_ONLY = "clashtor_read_only"
"""Execution option of a connection that only reads (``Database.reading``)."""


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that reads then writes never
    # fails with "database is locked" because another writer got in between. A connection
    # that only reads begins a deferred transaction: a snapshot, no lock.
    read_only = conn.get_execution_options().get(_READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite_reset(dbapi_conn: Any, _record: Any, state: Any) -> None:
    """A connection going back to the pool is rolled back only if a transaction is open.

    Every session ends its transaction itself (commit or rollback), after which the pool's
    own reset was a rollback of nothing: one more trip to aiosqlite's thread (two thread
    switches) per transaction. ``in_transaction`` is SQLite's own autocommit flag, read
    without a trip. A connection being discarded (``terminate_only``), or reset where
    nothing can be awaited, is left to the pool as before."""
    if state.terminate_only or not state.asyncio_safe:
        return
    # SQLAlchemy's adapter keeps the aiosqlite connection as ``_connection``; should that
    # ever change, every connection is rolled back as before, not thrown away.
    driver = getattr(dbapi_conn, "_connection", None)
    if getattr(driver, "in_transaction", True):
        dbapi_conn.rollback()


@event.listens_for(Session, "after_begin")
def _note_began(session: Session, _transaction: Any, _connection: Any) -> None:
    session.info[_BEGAN] = True


@event.listens_for(Session, "after_transaction_end")
def _note_ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost: the connection went back
        session.info.pop(_BEGAN, None)
