"""A key table on a real database: keys made once per id, destroyed for good, re-wrapped on
rotation; on SQLite nothing of a destroyed row is left in the file or its WAL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from clashtor_common.crypto import DataKey, KeyDestroyed, Keyring
from clashtor_common.datakeys import KeyTable, Reclaimer, compact, key_table_model
from clashtor_common.db import Database
from clashtor_common.testing.waiting import wait_until

LibKey = key_table_model("testlib")


SECRET_OLD, SECRET_NEW = Keyring.generate_key(), Keyring.generate_key()


async def _db(url: str) -> Database:
    db = Database(url)
    await db.create_all(LibKey)
    return db


async def test_ensure_makes_a_key_once_and_load_skips_destroyed(database_url: str) -> None:
    db = await _db(database_url)
    table = KeyTable(LibKey, Keyring.from_config(f"old:{SECRET_OLD}"))
    async with db.session() as s:
        first = await table.ensure(s, ["call:a", "participant:p"])
    async with db.session() as s:
        again = await table.ensure(s, ["call:a"])
        assert again["call:a"].material == first["call:a"].material
        assert await table.destroy(s, ["participant:p", "call:missing"]) == 1
    async with db.session() as s:
        assert set(await table.load(s, ["call:a", "participant:p"])) == {"call:a"}
    await db.dispose()


async def test_concurrent_ensure_agrees_on_one_key(database_url: str) -> None:
    db = await _db(database_url)
    table = KeyTable(LibKey, Keyring.from_config(f"old:{SECRET_OLD}"))

    async def one() -> DataKey:
        async with db.session() as s:
            return await table.get(s, "call:race")

    keys = await asyncio.gather(*(one() for _ in range(4)))
    assert len({k.material for k in keys}) == 1
    await db.dispose()


async def test_rewrap_moves_every_row_to_the_new_master_key(database_url: str) -> None:
    db = await _db(database_url)
    old = Keyring.from_config(f"old:{SECRET_OLD}")
    async with db.session() as s:
        keys = await KeyTable(LibKey, old).ensure(s, [f"call:r{i}" for i in range(7)])
    blob = old.encrypt(b"forty thousand", key=keys["call:r3"])
    rotating = KeyTable(LibKey, Keyring.from_config(f"new:{SECRET_NEW},old:{SECRET_OLD}"))
    async with db.session() as s:
        assert await rotating.rewrap(s, batch=3) >= 7
    async with db.session() as s:
        assert await rotating.rewrap(s) == 0  # idempotent
    retired = KeyTable(LibKey, Keyring.from_config(f"new:{SECRET_NEW}"))
    async with db.session() as s:
        loaded = await retired.load(s, ["call:r3"])
    assert retired.keyring.decrypt(blob, keys=loaded) == b"forty thousand"
    await db.dispose()


async def test_destroyed_key_leaves_nothing_in_the_sqlite_file_or_wal(tmp_path: Path) -> None:
    db = await _db(f"sqlite+aiosqlite:///{tmp_path}/keys.db")
    keyring = Keyring.from_config(f"old:{SECRET_OLD}")
    table = KeyTable(LibKey, keyring)
    async with db.session() as s:
        key = await table.get(s, "call:gone")
        wrapped = (await s.get(LibKey, "call:gone")).wrapped  # type: ignore[union-attr]
    blob = keyring.encrypt(b"jane@example.com", key=key)

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))

    assert bytes(wrapped) in on_disk()  # the scan can find it while it lives
    async with db.session() as s:
        await table.destroy(s, ["call:gone"])
    await compact(db.engine)
    assert bytes(wrapped) not in on_disk()
    assert b"call:gone" not in on_disk()
    async with db.session() as s:
        with pytest.raises(KeyDestroyed):
            keyring.decrypt(blob, keys=await table.load(s, ["call:gone"]))
    await db.dispose()


async def test_on_postgres_compact_rewrites_the_key_table_so_no_dead_key_row_stays_in_it(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (the SQLite case is the test above)")
    db = await _db(database_url)
    table = KeyTable(LibKey, Keyring.from_config(f"old:{SECRET_OLD}"))
    async with db.session() as s:
        await table.ensure(s, ["call:kept", "call:gone"])
    filenode = text(f"SELECT pg_relation_filenode('{LibKey.__tablename__}')")
    async with db.session() as s:
        before = (await s.execute(filenode)).scalar_one()
        await table.destroy(s, ["call:gone"])
    await compact(db.engine)
    async with db.session() as s:
        # a new file holding only the live row: the old one (with the dead tuple) is gone
        assert (await s.execute(filenode)).scalar_one() != before
        assert set(await table.load(s, ["call:kept", "call:gone"])) == {"call:kept"}
    await db.dispose()


_DESTROY_THEN_DIE = textwrap.dedent(
    """
    import asyncio, os, sys
    from clashtor_common.crypto import Keyring
    from clashtor_common.datakeys import KeyTable, key_table_model
    from clashtor_common.db import Database

    async def main():
        db = Database(sys.argv[1])
        model = key_table_model("testlib")
        await db.create_all(model)
        table = KeyTable(model, Keyring.from_config("old:" + sys.argv[2]))
        async with db.session() as s:
            await table.get(s, "call:killed")
            print(bytes((await s.get(model, "call:killed")).wrapped).hex(), flush=True)
        async with db.session() as s:
            await table.destroy(s, ["call:killed"])
        os._exit(0)  # committed; killed before the reclaim the commit wakes could run

    asyncio.run(main())
    """
)


async def test_a_restarted_process_reclaims_what_one_killed_after_destroying_keys_left(
    tmp_path: Path,
) -> None:
    """A process killed between a commit that destroyed a key and its reclaim leaves the
    key's old page in the SQLite file; the next process's Reclaimer compacts at start."""
    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    died = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _DESTROY_THEN_DIE, url, SECRET_OLD, stdout=subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(died.communicate(), timeout=60)
    assert died.returncode == 0
    wrapped = bytes.fromhex(out.decode().strip())

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))

    assert wrapped in on_disk()  # what the crash left
    db = await _db(url)
    reclaiming = asyncio.create_task(Reclaimer(db.engine, None).run())
    try:
        await wait_until(lambda: wrapped not in on_disk(), timeout=15)
    finally:
        reclaiming.cancel()
        await asyncio.gather(reclaiming, return_exceptions=True)
        await db.dispose()
