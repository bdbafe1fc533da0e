"""One organization's uploads take their minutes one at a time (the quota reservation).

Checking "minutes used + this call ≤ plan" and inserting the call must be one atomic
step, or twelve concurrent uploads all see the same minutes used and all get in
(issue 12, item 7). The check and the insert already share one transaction; this lock
makes concurrent transactions of the same organization queue for it:

- PostgreSQL: a transaction-scoped advisory lock on the organization (released at
  commit or rollback). Under READ COMMITTED every later statement sees what the
  previous holder committed, so the minutes counted after the lock are current.
- SQLite: every transaction already starts with ``BEGIN IMMEDIATE``
  (``clashtor_common.db``), which holds the database's write lock until it ends; the
  lock is already taken, nothing more to do.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

#: First key of the advisory lock, so it never meets another use of advisory locks.
_QUOTA_LOCK_SPACE = 0x1C7A


async def lock_org_quota(session: AsyncSession, org_id: str) -> None:
    """Hold the organization's quota lock until ``session``'s transaction ends."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:org))"),
            {"space": _QUOTA_LOCK_SPACE, "org": org_id},
        )
