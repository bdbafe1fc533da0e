"""The database wrapper keeps transactions honest on SQLite too (savepoints included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Field, SQLModel, func, select

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
