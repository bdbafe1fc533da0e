"""The database wrapper keeps transactions honest on SQLite too (savepoints included)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Field, SQLModel, func, select

from clashtor_common import db as db_module
from clashtor_common import outbox
from clashtor_common.db import Database
from clashtor_common.events import CallFailed, Envelope, make_event


class Thing(SQLModel, table=True):
    __tablename__ = "test_db_thing"

    id: int | None = Field(default=None, primary_key=True)
    name: str


MakeDatabase = Callable[..., Awaitable[Database]]


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[MakeDatabase]:
    """Makes the test's SQLite database with ``Thing`` (and the tables passed) created, when
    the test asks (after its monkeypatches), and disposes of it after the test, passed or not."""
    made: list[Database] = []

    async def make(*tables: type[SQLModel]) -> Database:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
        made.append(db)
        await db.create_all(Thing, *tables)
        return db

    yield make
    for db in made:
        await db.dispose()


async def count(db: Database) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(Thing))).scalar_one()


async def test_a_released_savepoint_rolls_back_with_its_outer_transaction(
    sqlite_db: MakeDatabase,
) -> None:
    db = await sqlite_db()
    with pytest.raises(RuntimeError):
        async with db.session() as s:
            async with s.begin_nested():
                s.add(Thing(name="inside a savepoint"))
            raise RuntimeError("outer transaction fails")
    assert await count(db) == 0
    async with db.session() as s:
        async with s.begin_nested():
            s.add(Thing(name="kept"))
    assert await count(db) == 1


async def test_a_burst_of_sqlite_transactions_queues_instead_of_timing_out(
    sqlite_db: MakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty writers that each hold the lock a fifth of a second, with a one-second busy
    timeout: SQLite's own wait let some lose every retry ("database is locked")."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 1)
    db = await sqlite_db()

    async def write(n: int) -> None:
        async with db.session() as s:
            s.add(Thing(name=f"writer {n}"))
            await s.flush()
            await asyncio.sleep(0.2)  # the event loop serves the others meanwhile

    await asyncio.gather(*(write(n) for n in range(20)))
    assert await count(db) == 20


async def test_a_session_inside_another_does_not_wait_for_its_own_turn(
    sqlite_db: MakeDatabase,
) -> None:
    db = await sqlite_db()

    async def nested() -> None:
        async with db.session():
            async with db.session() as inner:
                inner.add(Thing(name="inner"))

    await asyncio.wait_for(nested(), timeout=20)
    assert await count(db) == 1


async def test_a_session_inside_one_that_wrote_is_a_savepoint_not_a_wait_for_the_lock(
    sqlite_db: MakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the outer session holds the write lock once it wrote: a second connection
    waited for it until the busy timeout ("database is locked")."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 1)
    db = await sqlite_db()
    async with db.session() as outer:
        outer.add(Thing(name="outer"))
        await outer.flush()
        async with db.session() as inner:
            inner.add(Thing(name="inner"))
        with pytest.raises(RuntimeError):
            async with db.session() as failing:
                failing.add(Thing(name="rolled back alone"))
                await failing.flush()
                raise RuntimeError("inner fails")
        names = (await outer.execute(select(Thing.name).order_by(Thing.id))).scalars().all()
        assert names == ["outer", "inner"]
    assert await count(db) == 2
    with pytest.raises(RuntimeError):
        async with db.session() as outer:
            outer.add(Thing(name="outer again"))
            await outer.flush()
            async with db.session() as inner:
                inner.add(Thing(name="inner again"))
            raise RuntimeError("the outer transaction fails: the inner one with it")
    assert await count(db) == 2


async def test_a_task_started_inside_a_session_waits_for_its_turn(sqlite_db: MakeDatabase) -> None:
    """The turn is the task's, not its children's: a task spawned in a session (which
    inherits the context) used to take itself for the holder and write alongside."""
    db = await sqlite_db()
    order: list[str] = []

    async def child() -> None:
        async with db.session() as s:
            order.append("child's session")
            s.add(Thing(name="child"))

    async with db.session() as s:
        s.add(Thing(name="parent"))
        await s.flush()
        spawned = asyncio.create_task(child())
        for _ in range(20):  # the child gets the loop many times over
            await asyncio.sleep(0)
        order.append("parent commits")
    await asyncio.wait_for(spawned, timeout=20)
    assert order == ["parent commits", "child's session"]
    assert await count(db) == 2


async def test_a_child_task_awaited_by_its_sessions_parent_fails_instead_of_hanging(
    sqlite_db: MakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child waits for the turn its parent holds while the parent awaits the child:
    the wait for the turn had no bound and both hung forever (SQLite's own wait ended in
    "database is locked" after the busy timeout)."""
    monkeypatch.setattr(db_module, "SQLITE_TURN_SECONDS", 0.5)
    db = await sqlite_db()

    async def child() -> None:
        async with db.session() as s:
            s.add(Thing(name="child"))

    async def parent() -> None:
        async with db.session() as s:
            s.add(Thing(name="parent"))
            await s.flush()
            await asyncio.gather(child())

    with pytest.raises(OperationalError, match="database is locked"):
        await asyncio.wait_for(parent(), timeout=20)
    assert await count(db) == 0


def sample_envelope() -> Envelope:
    payload = CallFailed(call_id="call-1", stage="transcribe", code="test", reason="test")
    return make_event(payload, source="test", org_id="org-1", key="call-1")


class _Wake(asyncio.Event):
    """A relay's wake-up event that counts how often it was set."""

    def __init__(self) -> None:
        super().__init__()
        self.times = 0

    def set(self) -> None:
        self.times += 1
        super().set()


@pytest.mark.parametrize("outer_fails", [True, False], ids=["outer rolls back", "outer commits"])
async def test_a_nested_sessions_after_commit_effects_wait_for_the_outer_commit(
    sqlite_db: MakeDatabase, monkeypatch: pytest.MonkeyPatch, outer_fails: bool
) -> None:
    """The savepoint's release fired the nested session's after_commit: the relay woke
    (and its own listeners ran) before the real commit, even when the outer then rolled
    back, and the flag was gone by the outer's commit."""
    db = await sqlite_db(outbox.OutboxRecord)
    wake = _Wake()
    monkeypatch.setattr(outbox, "_wakeups", {wake})
    committed: list[str] = []
    seen_at_release: tuple[int, list[str]] = (-1, [])
    with contextlib.suppress(RuntimeError):
        async with db.session() as outer:
            outer.add(Thing(name="outer"))
            await outer.flush()
            async with db.session() as nested:
                await outbox.emit(nested, sample_envelope())
                event.listen(nested.sync_session, "after_commit", lambda _s: committed.append("x"))
            seen_at_release = (wake.times, list(committed))
            if outer_fails:
                raise RuntimeError("the outer transaction fails")
    assert seen_at_release == (0, [])
    if outer_fails:
        assert (wake.times, committed) == (0, [])
        assert await outbox.pending_count(db) == 0
    else:
        assert (wake.times, committed) == (1, ["x"])
        assert await outbox.pending_count(db) == 1


async def test_a_session_inside_an_inner_session_that_wrote_is_a_savepoint_on_it(
    sqlite_db: MakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outer session had not written, the inner one (its own connection) had: a
    session inside the inner one took the outer for its holder, saw it had not begun and
    opened a third connection that waited for the inner's lock ("database is locked")."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 1)
    db = await sqlite_db()
    async with db.session():
        async with db.session() as inner:
            inner.add(Thing(name="inner"))
            await inner.flush()
            async with db.session() as innermost:
                innermost.add(Thing(name="innermost"))
    assert await count(db) == 2


async def test_a_committed_sqlite_session_makes_no_rollback_trip(
    sqlite_db: MakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's reset on return rolled back a connection whose session had just
    committed: one more trip to aiosqlite's thread per transaction, for nothing."""
    import aiosqlite

    db = await sqlite_db()
    rollbacks = 0
    rollback = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        nonlocal rollbacks
        rollbacks += 1
        await rollback(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    async with db.session() as s:
        s.add(Thing(name="committed"))
    assert await count(db) == 1
    assert rollbacks == 0
    with pytest.raises(RuntimeError):
        async with db.session() as s:
            s.add(Thing(name="rolled back"))
            await s.flush()
            raise RuntimeError("the session fails")
    assert rollbacks == 1  # the session's own rollback, not a second one from the pool
    assert await count(db) == 1


async def test_a_sqlite_connection_returned_inside_a_transaction_is_rolled_back(
    sqlite_db: MakeDatabase,
) -> None:
    """A connection given back to the pool with its transaction open (a raw DBAPI user)
    is still rolled back: its write is undone and its write lock released."""
    from sqlalchemy.util import greenlet_spawn

    db = await sqlite_db()

    def write_and_leave_open() -> None:
        raw = db.engine.sync_engine.raw_connection()
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("INSERT INTO test_db_thing (name) VALUES ('never committed')")
        cursor.close()
        raw.close()  # back to the pool with the transaction open

    await greenlet_spawn(write_and_leave_open)
    async with db.session() as s:  # would fail: a transaction within a transaction
        s.add(Thing(name="next"))
    async with db.session() as s:
        names = (await s.execute(select(Thing.name))).scalars().all()
    assert names == ["next"]
