"""The database wrapper keeps transactions honest on SQLite too (savepoints included)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import Field, SQLModel, func, select

from clashtor_common import db as db_module
from clashtor_common.db import Database


class Thing(SQLModel, table=True):
    __tablename__ = "test_db_thing"

    id: int | None = Field(default=None, primary_key=True)
    name: str


async def count(db: Database) -> int:
    async with db.session() as s:
        return (await s.execute(select(func.count()).select_from(Thing))).scalar_one()


async def test_a_released_savepoint_rolls_back_with_its_outer_transaction(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await db.create_all(Thing)
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
    await db.dispose()


async def test_a_burst_of_sqlite_transactions_queues_instead_of_timing_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty writers that each hold the lock a fifth of a second, with a one-second busy
    timeout: SQLite's own wait let some lose every retry ("database is locked")."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_SECONDS", 1)
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await db.create_all(Thing)

    async def write(n: int) -> None:
        async with db.session() as s:
            s.add(Thing(name=f"writer {n}"))
            await s.flush()
            await asyncio.sleep(0.2)  # the event loop serves the others meanwhile

    await asyncio.gather(*(write(n) for n in range(20)))
    assert await count(db) == 20
    await db.dispose()


async def test_a_session_inside_another_does_not_wait_for_its_own_turn(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await db.create_all(Thing)

    async def nested() -> None:
        async with db.session():
            async with db.session() as inner:
                inner.add(Thing(name="inner"))

    await asyncio.wait_for(nested(), timeout=20)
    assert await count(db) == 1
    await db.dispose()
