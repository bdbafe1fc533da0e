"""``clashtor-ops keys``: a service's key table under a new master key.

Rotation without re-encryption: configure the new master key FIRST in the service's
``<SERVICE>_MASTER_KEYS`` (it encrypts and wraps from then on; the old key stays after it,
for reading), then ``clashtor-ops keys rewrap --service S`` re-seals every data key still
wrapped by an old master key, then the old key can leave the configuration. Only the small
key rows change; audio, transcripts and sealed fields are untouched, because their
associated data names the data key, not its wrapping.
"""

from __future__ import annotations

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable, key_table_model
from clashtor_common.db import Database


async def rewrap_keys(database_url: str, service: str, master_keys: str) -> tuple[int, str]:
    """Re-wrap ``service``'s key rows under the first of ``master_keys``; (count, new kid)."""
    keyring = Keyring.from_config(master_keys)
    db = Database(database_url)
    try:
        async with db.session() as session:
            count = await KeyTable(key_table_model(service), keyring).rewrap(session)
        return count, keyring.active
    finally:
        await db.dispose()


async def key_count_by_master(database_url: str, service: str) -> dict[str, int]:
    """How many of the service's data keys each master key wraps (what still needs one)."""
    from sqlalchemy import func, select

    kid = key_table_model(service).__table__.c.master_kid  # type: ignore[attr-defined]
    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(select(kid, func.count()).group_by(kid))
            return {str(name): int(n) for name, n in rows.all()}
    finally:
        await db.dispose()
