"""Key tables: each service's data keys, wrapped by its master key, destroyed on erasure.

A service that stores personal data or call content owns one table of this shape,
``<service>_data_keys`` (``key_table_model(service)``, created by the service's own Alembic
migration) and reaches it through ``KeyTable``:

- ``ensure`` returns the keys for some ids, making the missing ones (one per call,
  ``call:<id>``, and one per data subject, ``participant:<id>``, ``user:<id>``);
- ``load`` returns only those that still exist: a destroyed key is simply absent, and
  ``Keyring.decrypt`` then raises ``KeyDestroyed``;
- ``destroy`` deletes rows. Erasure calls it FIRST, in the same transaction as the rows it
  erases: from its commit on, every copy of the ciphertext (S3 volumes, pages, WAL,
  backups) is noise. ``compact`` then asks the database to drop the freed pages;
- ``rewrap`` re-seals every row under the keyring's active master key
  (``clashtor-ops keys rewrap``), so an old master key can be retired without
  re-encrypting a single object.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, LargeBinary, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import Field, SQLModel

from clashtor_common.crypto import DATA_KEY_ID_MAX, DataKey, Keyring, WrappedKey


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DataKeyColumns(SQLModel):
    """The columns of every key table (a service subclasses it with ``table=True``)."""

    id: str = Field(primary_key=True, max_length=DATA_KEY_ID_MAX)
    master_kid: str = Field(max_length=64, description="master key that wraps this row")
    wrapped: bytes = Field(sa_type=LargeBinary, description="nonce + AES-GCM(data key)")
    created_at: datetime = Field(default_factory=_utcnow, sa_type=DateTime(timezone=True))


_MODELS: dict[str, type[DataKeyColumns]] = {}


def key_table_model(service: str) -> type[DataKeyColumns]:
    """The ``<service>_data_keys`` table class, one per process (the service's tables and
    ``clashtor-ops keys rewrap`` share it)."""
    if service not in _MODELS:
        name = f"{service}_data_keys"

        def body(ns: dict[str, Any]) -> None:
            ns["__tablename__"] = name

        _MODELS[service] = types.new_class(
            f"{service.title()}DataKey", (DataKeyColumns,), {"table": True}, body
        )
    return _MODELS[service]


def call_key_id(call_id: str) -> str:
    return f"call:{call_id}"


def subject_key_id(kind: str, subject_id: str) -> str:
    """``participant:<id>``, ``user:<id>``: the key of one person's records."""
    return f"{kind}:{subject_id}"


class KeyTable:
    """One service's key table, read and written inside the caller's transaction."""

    def __init__(self, model: type[DataKeyColumns], keyring: Keyring) -> None:
        self.model = model
        self.keyring = keyring

    def _open(self, row: DataKeyColumns) -> DataKey:
        return self.keyring.unwrap(WrappedKey(row.id, row.master_kid, bytes(row.wrapped)))

    async def load(self, session: AsyncSession, ids: Iterable[str]) -> dict[str, DataKey]:
        """The keys that exist among ``ids`` (destroyed ones are absent)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await session.execute(select(self.model).where(self.model.id.in_(wanted)))  # type: ignore[attr-defined]
        return {row.id: self._open(row) for row in rows.scalars()}

    async def ensure(self, session: AsyncSession, ids: Iterable[str]) -> dict[str, DataKey]:
        """The keys for ``ids``, making the missing ones.

        Two transactions making the same key race on the primary key: the loser's
        savepoint rolls back and it reads the winner's row, so one id never has two keys.
        """
        wanted = sorted(set(ids))
        keys = await self.load(session, wanted)
        for key_id in wanted:
            if key_id in keys:
                continue
            key = DataKey.generate(key_id)
            sealed = self.keyring.wrap(key)
            row = self.model(id=key_id, master_kid=sealed.master_kid, wrapped=sealed.wrapped)
            try:
                async with session.begin_nested():
                    session.add(row)
                keys[key_id] = key
            except IntegrityError:
                keys.update(await self.load(session, [key_id]))
        return keys

    async def get(self, session: AsyncSession, key_id: str) -> DataKey:
        return (await self.ensure(session, [key_id]))[key_id]

    async def destroy(self, session: AsyncSession, ids: Iterable[str]) -> int:
        """Delete the rows of ``ids``; what they sealed is unreadable from the commit on."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        result = await session.execute(delete(self.model).where(self.model.id.in_(wanted)))  # type: ignore[attr-defined]
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def rewrap(self, session: AsyncSession, *, batch: int = 500) -> int:
        """Re-seal rows wrapped by any master key but the active one; returns how many.

        The data keys are unchanged, so no ciphertext is touched; after this the old
        master key is needed by nothing in this table and can be retired.
        """
        done = 0
        active = self.keyring.active
        while True:
            stmt = (
                select(self.model)
                .where(self.model.master_kid != active)  # type: ignore[arg-type]
                .order_by(self.model.id)  # type: ignore[arg-type]
                .limit(batch)
            )
            rows = list((await session.execute(stmt)).scalars())
            if not rows:
                return done
            for row in rows:
                sealed = self.keyring.wrap(self._open(row))
                row.master_kid, row.wrapped = sealed.master_kid, sealed.wrapped
                session.add(row)
            await session.flush()
            done += len(rows)


async def compact(engine: AsyncEngine) -> None:
    """Give freed pages back after an erasure, so deleted rows are not left on disk.

    SQLite (``secure_delete`` is on, see ``clashtor_common.db``): the WAL is checkpointed
    into the main file and truncated to zero, so no old page image stays in
    ``*.db-wal``. PostgreSQL: ``VACUUM`` makes the dead tuples' space reusable (their
    WAL records and backups expire with the retention the README states; the rows
    there are keys wrapped by a master key that rotation retires).
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # on the driver's cursor: a SQLAlchemy execute would BEGIN (see db.py), and a
            # checkpoint cannot truncate the WAL from inside a transaction
            await conn.run_sync(_sqlite_checkpoint)
        elif engine.dialect.name == "postgresql":
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM"))


def _sqlite_checkpoint(sync_conn: Connection) -> None:
    cursor = sync_conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cursor.close()
