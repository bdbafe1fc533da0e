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

import asyncio
import base64
import logging
import types
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Connection, DateTime, LargeBinary, delete, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import Field, SQLModel

from clashtor_common.crypto import (
    DATA_KEY_ID_MAX,
    DataKey,
    DataKeys,
    DecryptionError,
    Keyring,
    WrappedKey,
)
from clashtor_common.db import CommitSignal
from clashtor_common.events import WrappedDataKey

log = logging.getLogger(__name__)


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


def create_key_table(op: Any, name: str) -> None:
    """The Alembic step every service's key-table migration runs (``op``: alembic.op)."""
    import sqlalchemy as sa

    op.create_table(
        name,
        sa.Column("id", sa.String(length=DATA_KEY_ID_MAX), primary_key=True),
        sa.Column("master_kid", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def call_key_id(call_id: str) -> str:
    return f"call:{call_id}"


def subject_key_id(kind: str, subject_id: str) -> str:
    """``participant:<id>``, ``user:<id>``: the key of one person's records."""
    return f"{kind}:{subject_id}"


def key_for_event(keyring: Keyring, key: DataKey) -> WrappedDataKey:
    """``key`` wrapped for an event that names an object sealed under it."""
    sealed = keyring.wrap(key)
    return WrappedDataKey(
        id=sealed.id,
        master_kid=sealed.master_kid,
        wrapped=base64.b64encode(sealed.wrapped).decode(),
    )


def keys_from_event(keyring: Keyring, part: WrappedDataKey | None) -> dict[str, DataKey]:
    """The data key an event carries, as ``Keyring.decrypt(keys=...)`` takes it ({} if none).

    Raises ``DecryptionError`` if it does not unwrap (a master key missing here)."""
    if part is None:
        return {}
    try:
        wrapped = base64.b64decode(part.wrapped, validate=True)
    except ValueError as exc:
        raise DecryptionError(f"data key {part.id!r} in the event is not base64") from exc
    return {part.id: keyring.unwrap(WrappedKey(part.id, part.master_kid, wrapped))}


@dataclass
class Sealer:
    """The keyring and the data keys loaded for the rows at hand.

    ``seal`` writes version 2 under a named key (which must have been ensured); ``open``
    reads either version, so rows written before crypto-shredding still open.
    """

    keyring: Keyring
    keys: DataKeys

    def seal(self, plain: bytes, aad: bytes, key_id: str) -> bytes:
        return self.keyring.encrypt(plain, aad, key=self.keys[key_id])

    def open(self, blob: bytes, aad: bytes = b"") -> bytes:
        return self.keyring.decrypt(blob, aad, keys=self.keys)

    def seal_text(self, text: str, aad: bytes, key_id: str) -> bytes:
        return self.seal(text.encode(), aad, key_id)

    def open_text(self, blob: bytes, aad: bytes = b"") -> str:
        return self.open(blob, aad).decode()


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

    async def add(self, session: AsyncSession, key: DataKey) -> None:
        """Store a key made in memory (``DataKey.generate``) with the row it seals."""
        sealed = self.keyring.wrap(key)
        session.add(self.model(id=key.id, master_kid=sealed.master_kid, wrapped=sealed.wrapped))

    async def get(self, session: AsyncSession, key_id: str) -> DataKey:
        return (await self.ensure(session, [key_id]))[key_id]

    async def sealer(
        self, session: AsyncSession, ids: Iterable[str], *, create: bool = False
    ) -> Sealer:
        """A ``Sealer`` holding the keys of ``ids`` (made if missing when ``create``)."""
        load = self.ensure if create else self.load
        return Sealer(self.keyring, await load(session, ids))

    async def destroy(self, session: AsyncSession, ids: Iterable[str]) -> int:
        """Delete the rows of ``ids``; what they sealed is unreadable from the commit on.

        The commit also wakes this process's ``Reclaimer`` (freed pages and S3 space)."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        result = await session.execute(delete(self.model).where(self.model.id.in_(wanted)))  # type: ignore[attr-defined]
        _DESTROYED.mark(session)
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


_DESTROYED = CommitSignal("clashtor_data_keys_destroyed")
"""Raised by a transaction that destroyed data keys; wakes the ``Reclaimer``s."""


class Reclaimer:
    """After a commit that destroyed data keys: the database's freed pages are dropped
    (``compact``) and the embedded S3 compacts its volumes (``vacuum_s3``).

    With the keys gone the leftovers are unreadable anyway; this only keeps ciphertext of
    erased data from lingering on local disks. One per service process, woken by commits
    (several erasures in a row are reclaimed once), and on SQLite once at start.
    """

    def __init__(
        self, engine: AsyncEngine, vacuum_url: str | None, *, settle_seconds: float = 3.0
    ) -> None:
        self.engine = engine
        self.vacuum_url = vacuum_url
        self.settle_seconds = settle_seconds
        """SeaweedFS's filer deletes an object's chunks from its queue a moment after the
        S3 DELETE answered; the vacuum waits for that."""
        self._wake = asyncio.Event()

    async def run(self) -> None:
        _DESTROYED.subscribe(self._wake.set)
        if self.engine.dialect.name == "sqlite":
            # A process killed between a commit that destroyed keys and the reclaim it
            # woke left the rows' old pages in the file: reclaim once at start. On SQLite
            # that is a checkpoint, cheap enough for every start; PostgreSQL's reclaim
            # rewrites every key table, so there it waits for the next erasure.
            self._wake.set()
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self.reclaim()
        finally:
            _DESTROYED.unsubscribe(self._wake.set)

    async def reclaim(self) -> None:
        try:
            await compact(self.engine)
            if self.vacuum_url:
                await asyncio.sleep(self.settle_seconds)
                await vacuum_s3(self.vacuum_url)
        except Exception:  # best effort: the keys are already destroyed
            log.warning("reclaiming space after an erasure failed", exc_info=True)


async def vacuum_s3(master_url: str) -> None:
    """Ask the embedded SeaweedFS master to compact every volume with any deleted needle.

    SeaweedFS deletes by marking; the bytes stay in the ``.dat`` volume file until a
    vacuum copies the live needles into a new file (its default threshold waits for 30%
    garbage). Production S3 has no such call: see the privacy README for versioning and
    lifecycle settings.
    """
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.get(
            f"{master_url.rstrip('/')}/vol/vacuum", params={"garbageThreshold": "0.0001"}
        )
        response.raise_for_status()


async def compact(engine: AsyncEngine) -> None:
    """Give freed pages back after an erasure, so deleted rows are not left on disk.

    SQLite (``secure_delete`` is on, see ``clashtor_common.db``): the WAL is checkpointed
    into the main file and truncated to zero, so no old page image stays in
    ``*.db-wal``. PostgreSQL: a destroyed key row is a dead tuple that plain ``VACUUM``
    leaves in the page, so every key table is rewritten (``VACUUM FULL``: a new file,
    the old one truncated at commit), the WAL segment that logged the rows is closed
    (``pg_switch_wal``) and a ``CHECKPOINT`` lets the server remove it (with
    ``wal_recycle = off`` and no ``wal_keep_size``; the WAL archive keeps it for its
    retention, see services/privacy/README.md). ``VACUUM`` then makes the other tables'
    dead tuples (ciphertext under destroyed keys) reusable. The last two need the
    ``pg_checkpoint`` role and EXECUTE on ``pg_switch_wal``; without them they are skipped
    with a warning (the keys are destroyed already).
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # on the driver's cursor: a SQLAlchemy execute would BEGIN (see db.py), and a
            # checkpoint cannot truncate the WAL from inside a transaction
            # TRUNCATE waits for writers (busy_timeout) but not for a connection still
            # reading an old snapshot; then old frames stay in the WAL, so it is retried
            for attempt in range(10):
                if await conn.run_sync(_sqlite_checkpoint):
                    return
                await asyncio.sleep(0.2 * (attempt + 1))
            log.warning("the WAL could not be truncated after an erasure (readers kept it busy)")
        elif engine.dialect.name == "postgresql":
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            tables = await autocommit.execute(
                text(
                    "SELECT quote_ident(tablename) FROM pg_tables"
                    " WHERE schemaname = current_schema() AND tablename LIKE '%\\_data\\_keys'"
                )
            )
            for (table,) in tables.all():
                await autocommit.execute(text(f"VACUUM FULL {table}"))
            for statement in ("SELECT pg_switch_wal()", "CHECKPOINT"):
                try:
                    await autocommit.execute(text(statement))
                except DBAPIError:
                    log.warning("%s after an erasure was refused (missing role?)", statement)
            await autocommit.execute(text("VACUUM"))


def _sqlite_checkpoint(sync_conn: Connection) -> bool:
    """One ``wal_checkpoint(TRUNCATE)``; True if it completed (no reader kept it busy)."""
    cursor = sync_conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return not (cursor.fetchone() or (0,))[0]
    finally:
        cursor.close()
