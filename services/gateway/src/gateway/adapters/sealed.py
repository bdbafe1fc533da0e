"""Personal data columns sealed at rest under each data subject's own key.

Names and emails in the gateway database are AES-256-GCM records (``CTR2``,
``clashtor_common.crypto``) under a data key of the person or thing they are about:
``user:<id>`` for a user's name, email, pending rectification and email change,
``invitation:<id>`` for an invited address, ``org:<id>`` for an organization's name. The
keys live in ``gateway_data_keys`` (``clashtor_common.datakeys``), wrapped by the
gateway's master keys; erasing a user destroys ``user:<id>`` first (``destroy_keys``),
so every other copy of those records (database pages, WAL, backups) is noise from that
commit on, even to someone holding the master keys. Lookups by email go through the
keyed ``email_fingerprint`` column, which needs no key.

The column type encrypts on write and decrypts on read, so the models keep plain
``str`` attributes and the service layer is unchanged:

- writing: a ``before_flush`` hook asks the row's class (``sealed_under``) which key
  seals it, makes the key if missing (in the same flush) and hands the value to the
  column as a ``str`` that carries its key;
- reading: the blob names its key; it is loaded through the session that runs the
  query (noted by a ``do_orm_execute`` hook), on that session's connection, so a key
  made earlier in the same transaction is seen and a destroyed one is not. Loaded keys
  are cached for the session only.

Idempotency answers stay self-keyed (``CTR1``, ``SealedText(subject_keyed=False)``):
they are kept for a day and have no subject to key them by. The keyring is attached to
the engine's dialect (``install_keyring``) rather than held globally, because tests run
several gateways with their own databases in one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import LargeBinary, event, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.types import TypeDecorator

from clashtor_common.crypto import DataKey, KeyDestroyed, Keyring, WrappedKey, data_key_id
from clashtor_common.datakeys import KeyTable, key_table_model

_ATTRIBUTE = "clashtor_keyring"
_CACHE = "clashtor_gateway_keys"

GatewayDataKey = key_table_model("gateway")

T = TypeVar("T")
_SUBJECTS: dict[type, Callable[[Any], str]] = {}
_reading: ContextVar[Session | None] = ContextVar("gateway_sealed_session", default=None)


def sealed_under(key_of: Callable[[Any], str]) -> Callable[[type[T]], type[T]]:
    """Class decorator: the ``SealedText`` columns of this table's rows are sealed under
    the data key ``key_of(row)`` names."""

    def register(cls: type[T]) -> type[T]:
        _SUBJECTS[cls] = key_of
        return cls

    return register


def install_keyring(engine: AsyncEngine, keyring: Keyring) -> None:
    """Make ``SealedText`` columns of this engine's rows use ``keyring``."""
    setattr(engine.sync_engine.dialect, _ATTRIBUTE, keyring)


def _keyring(dialect: Dialect) -> Keyring:
    keyring: Keyring | None = getattr(dialect, _ATTRIBUTE, None)
    if keyring is None:
        raise RuntimeError("no keyring installed on this engine for sealed columns")
    return keyring


class _Keyed(str):
    """A value on its way into a sealed column, with the data key that seals it."""

    key: DataKey

    def __new__(cls, value: str, key: DataKey) -> _Keyed:
        obj = super().__new__(cls, value)
        obj.key = key
        return obj


class SealedText(TypeDecorator[str]):
    """A text value stored as an encrypted record (bytes) under its subject's data key."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, *, subject_keyed: bool = True) -> None:
        super().__init__()
        self.subject_keyed = subject_keyed

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        keyring = _keyring(dialect)
        if not self.subject_keyed:
            return keyring.encrypt_text(str(value))
        if not isinstance(value, _Keyed):
            raise RuntimeError(
                "a sealed column is written outside an ORM flush (a bulk UPDATE?): "
                "its subject's key is unknown"
            )
        return keyring.encrypt_text(str(value), key=value.key)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        blob = bytes(value)
        keyring = _keyring(dialect)
        key_id = data_key_id(blob)
        if key_id is None:  # CTR1: idempotency answers (and rows from before 0006)
            return keyring.decrypt_text(blob)
        session = _reading.get()
        if session is None:
            raise RuntimeError("a sealed column is read outside an ORM session")
        keys = _load(session, keyring, [key_id])
        return keyring.decrypt_text(blob, keys=keys)


def _cache(session: Session) -> dict[str, DataKey]:
    cache: dict[str, DataKey] = session.info.setdefault(_CACHE, {})
    return cache


def _load(session: Session, keyring: Keyring, ids: Iterable[str]) -> dict[str, DataKey]:
    """The keys among ``ids`` that exist, read on the session's own connection."""
    cache = _cache(session)
    missing = sorted(set(ids) - set(cache))
    if missing:
        table = GatewayDataKey.__table__  # type: ignore[attr-defined]
        rows = session.connection().execute(
            select(table.c.id, table.c.master_kid, table.c.wrapped).where(table.c.id.in_(missing))
        )
        for key_id, master_kid, wrapped in rows:
            cache[key_id] = keyring.unwrap(WrappedKey(key_id, master_kid, bytes(wrapped)))
    return {k: cache[k] for k in ids if k in cache}


@event.listens_for(Session, "do_orm_execute")
def _note_reading_session(state: ORMExecuteState) -> None:
    _reading.set(state.session)


@event.listens_for(Session, "before_flush")
def _seal_with_subject_keys(session: Session, _context: Any, _instances: Any) -> None:
    pending: list[tuple[Any, str, list[str]]] = []  # (row, its key id, columns to seal)
    for row in (*session.new, *session.dirty):
        key_of = _SUBJECTS.get(type(row))
        if key_of is None:
            continue
        state = inspect(row)
        columns = [
            column
            for column in _sealed_attributes(type(row))
            if (state.pending or state.attrs[column].history.added)
            and isinstance(state.dict.get(column), str)
            and not isinstance(state.dict.get(column), _Keyed)
        ]
        if columns:
            pending.append((row, key_of(row), columns))
    if not pending:
        return
    keyring = _keyring(session.get_bind().dialect)
    wanted = {key_id for _, key_id, _ in pending}
    keys = _load(session, keyring, wanted)
    cache = _cache(session)
    for key_id in sorted(wanted - set(keys)):
        key = DataKey.generate(key_id)
        sealed = keyring.wrap(key)
        session.add(GatewayDataKey(id=key_id, master_kid=sealed.master_kid, wrapped=sealed.wrapped))
        keys[key_id] = cache[key_id] = key
    for row, key_id, columns in pending:
        for column in columns:
            setattr(row, column, _Keyed(getattr(row, column), keys[key_id]))


_ATTRIBUTES: dict[type, tuple[str, ...]] = {}


def _sealed_attributes(cls: type) -> tuple[str, ...]:
    if cls not in _ATTRIBUTES:
        mapper = inspect(cls)
        _ATTRIBUTES[cls] = tuple(
            prop.key
            for prop in mapper.column_attrs
            if any(isinstance(c.type, SealedText) for c in prop.columns)
        )
    return _ATTRIBUTES[cls]


async def destroy_keys(session: AsyncSession, ids: Iterable[str]) -> int:
    """Destroy data keys (first, in the erasure's transaction); what they sealed is
    unreadable from the commit on. Returns how many existed."""
    wanted = list(ids)
    cache = _cache(session.sync_session)
    for key_id in wanted:
        cache.pop(key_id, None)
    keyring = _keyring(session.sync_session.get_bind().dialect)
    return await KeyTable(GatewayDataKey, keyring).destroy(session, wanted)


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


def invitation_key(invitation_id: str) -> str:
    return f"invitation:{invitation_id}"


def organization_key(org_id: str) -> str:
    return f"org:{org_id}"


__all__ = [
    "GatewayDataKey",
    "KeyDestroyed",
    "SealedText",
    "destroy_keys",
    "install_keyring",
    "invitation_key",
    "organization_key",
    "sealed_under",
    "user_key",
]
