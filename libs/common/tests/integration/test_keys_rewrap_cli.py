"""``clashtor-ops keys rewrap``: after it, the old master key can go and every sealed value
still opens; the ciphertext itself was never rewritten."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable, key_table_model
from clashtor_common.db import Database
from clashtor_common.ops.cli import app

Keys = key_table_model("opsdemo")


async def _seed(url: str, keyring: Keyring) -> dict[str, bytes]:
    db = Database(url)
    await db.create_all(Keys)
    async with db.session() as s:
        keys = await KeyTable(Keys, keyring).ensure(s, [f"call:{i}" for i in range(5)])
    await db.dispose()
    return {kid: keyring.encrypt(f"phrase {kid}".encode(), key=k) for kid, k in keys.items()}


async def _open_all(url: str, keyring: Keyring, blobs: dict[str, bytes]) -> dict[str, bytes]:
    db = Database(url)
    async with db.session() as s:
        keys = await KeyTable(Keys, keyring).load(s, blobs)
    await db.dispose()
    return {kid: keyring.decrypt(blob, keys=keys) for kid, blob in blobs.items()}


def test_rewrap_then_retire_the_old_master_key(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/opsdemo.db"
    old, new = f"old:{Keyring.generate_key()}", f"new:{Keyring.generate_key()}"
    blobs = asyncio.run(_seed(url, Keyring.from_config(old)))
    runner = CliRunner()
    env = {"OPSDEMO_DATABASE_URL": url, "COLUMNS": "200"}

    done = runner.invoke(
        app, ["keys", "rewrap", "--service", "opsdemo", "--master-keys", f"{new},{old}"], env=env
    )
    assert done.exit_code == 0, done.output
    assert "re-wrapped 5 opsdemo data key(s) under master key new" in done.output
    status = runner.invoke(app, ["keys", "status", "--service", "opsdemo"], env=env)
    assert "new" in status.output and "old" not in status.output

    opened = asyncio.run(_open_all(url, Keyring.from_config(new), blobs))
    assert opened == {kid: f"phrase {kid}".encode() for kid in blobs}


def test_rewrap_without_keys_is_a_clear_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["keys", "rewrap", "--service", "opsdemo"],
        env={"OPSDEMO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", "COLUMNS": "200"},
    )
    assert result.exit_code == 2 and "OPSDEMO_MASTER_KEYS" in result.output
