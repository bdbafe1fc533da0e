"""Personal data columns sealed at rest with the gateway's master keys.

Names and emails in the gateway database are AES-256-GCM records
(``clashtor_common.crypto``), so a copy of the disk or a database dump shows no
personal data; lookups by email go through the keyed ``email_fingerprint`` column.

The column type encrypts on write and decrypts on read, so the models keep plain
``str`` attributes and the service layer is unchanged. Its keyring is attached to the
engine's dialect (``install_keyring``) rather than held globally, because the type only
sees the dialect when it converts a value, and tests run several gateways with their own
databases in one process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from clashtor_common.crypto import Keyring

_ATTRIBUTE = "clashtor_keyring"


def install_keyring(engine: AsyncEngine, keyring: Keyring) -> None:
    """Make ``SealedText`` columns of this engine's rows use ``keyring``."""
    setattr(engine.sync_engine.dialect, _ATTRIBUTE, keyring)


def _keyring(dialect: Dialect) -> Keyring:
    keyring: Keyring | None = getattr(dialect, _ATTRIBUTE, None)
    if keyring is None:
        raise RuntimeError("no keyring installed on this engine for sealed columns")
    return keyring


class SealedText(TypeDecorator[str]):
    """A text value stored as an encrypted record (bytes)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _keyring(dialect).encrypt_text(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _keyring(dialect).decrypt_text(bytes(value))
