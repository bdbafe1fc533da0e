"""Alembic migrations build exactly the schema the models describe, on SQLite and on the
test database (PostgreSQL when it answers)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clashtor_common.crypto import Keyring, WrappedKey, data_key_id
from clashtor_common.testing.migrations import (
    alembic_config,
    assert_migrations_build_the_tables,
    sqlite_migrations_test,
)
from gateway.adapters.tables import TABLES

SERVICE = Path(__file__).resolve().parents[2]


def _config(url: str) -> Config:
    return alembic_config(SERVICE, url)


# SQLite cannot go back on 0004 (it drops unnamed constraints): the upgrade only.
test_upgrade_head_on_sqlite_matches_the_models = sqlite_migrations_test(
    __file__, TABLES, downgrade=False
)


def test_upgrade_head_on_the_test_database_matches_the_models(database_url: str) -> None:
    assert_migrations_build_the_tables(SERVICE, TABLES, database_url)


PLAIN_ROWS = [
    "INSERT INTO gateway_organizations (id, name, created_at) VALUES ('o1', 'Acme Plain Org', :at)",
    "INSERT INTO gateway_users (id, org_id, name, email, email_fingerprint, password_hash, role,"
    " analytics_opt_out, created_at, updated_at) VALUES ('u1', 'o1', 'Ada Plain',"
    " 'ada.plain@example.com', 'fp-ada', 'x', 'owner', false, :at, :at)",
    "INSERT INTO gateway_invitations (id, org_id, email, email_fingerprint, role, token_hash,"
    " invited_by, created_at, expires_at) VALUES ('i1', 'o1', 'bob.plain@example.com', 'fp-bob',"
    " 'rep', 'th', 'u1', :at, :at)",
    "INSERT INTO gateway_pending_rectifications (user_id, org_id, fields, previous_email,"
    " revision, attempts, next_attempt_at, created_at) VALUES ('u1', 'o1', '[]',"
    " 'old.plain@example.com', 1, 0, :at, :at)",
    "INSERT INTO gateway_email_changes (user_id, org_id, new_email, token_hash, created_at,"
    " expires_at) VALUES ('u1', 'o1', 'new.plain@example.com', 'th2', :at, :at)",
]
SEALED_VALUES = {
    ("gateway_organizations", "name_sealed"): "Acme Plain Org",
    ("gateway_users", "name_sealed"): "Ada Plain",
    ("gateway_users", "email_sealed"): "ada.plain@example.com",
    ("gateway_invitations", "email_sealed"): "bob.plain@example.com",
    ("gateway_pending_rectifications", "previous_email_sealed"): "old.plain@example.com",
    ("gateway_email_changes", "new_email_sealed"): "new.plain@example.com",
}


async def _run(url: str, statements: list[str], **params: Any) -> list[Any]:
    """Run raw SQL in one transaction; the rows of each SELECT (None for the others)."""
    engine = create_async_engine(url)
    out: list[Any] = []
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement), params)
                out.append(result.all() if statement.startswith("SELECT") else None)
        return out
    finally:
        await engine.dispose()


def test_existing_rows_are_sealed_then_keyed_per_subject_by_the_upgrades_and_opened_by_the_downgrades(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = f"mig1:{Keyring.generate_key()}"
    monkeypatch.setenv("GATEWAY_MASTER_KEYS", keys)
    keyring = Keyring.from_config(keys)
    command.upgrade(_config(database_url), "0003")
    asyncio.run(_run(database_url, PLAIN_ROWS, at=datetime.now(UTC)))

    selects = [f"SELECT {column} FROM {table}" for table, column in SEALED_VALUES]
    command.upgrade(_config(database_url), "0004")
    found = asyncio.run(_run(database_url, selects))
    for (place, plain), rows in zip(SEALED_VALUES.items(), found, strict=True):
        blob = bytes(rows[0][0])
        assert plain.encode() not in blob, place
        assert keyring.decrypt_text(blob) == plain, place  # self-keyed: the master key opens it

    command.upgrade(_config(database_url), "head")
    found = asyncio.run(_run(database_url, selects))
    keys = asyncio.run(
        _run(database_url, ["SELECT id, master_kid, wrapped FROM gateway_data_keys"])
    )
    data_keys = {k: keyring.unwrap(WrappedKey(k, kid, bytes(w))) for k, kid, w in keys[0]}
    assert set(data_keys) == {"org:o1", "user:u1", "invitation:i1"}
    for (place, plain), rows in zip(SEALED_VALUES.items(), found, strict=True):
        blob = bytes(rows[0][0])
        assert plain.encode() not in blob, place
        assert data_key_id(blob) in data_keys, place  # under its subject's key now
        assert keyring.decrypt_text(blob, keys=data_keys) == plain, place
    command.downgrade(_config(database_url), "0005")
    found = asyncio.run(_run(database_url, selects))
    assert [keyring.decrypt_text(bytes(rows[0][0])) for rows in found] == list(
        SEALED_VALUES.values()
    )

    command.downgrade(_config(database_url), "0003")
    back = asyncio.run(_run(database_url, ["SELECT name, email FROM gateway_users"]))
    assert back[0] == [("Ada Plain", "ada.plain@example.com")]
    command.downgrade(_config(database_url), "base")
