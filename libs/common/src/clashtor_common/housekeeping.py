"""Outbox and inbox rows purged on a schedule, so neither table grows forever.

A sent outbox row is kept ``outbox_retention_hours`` (the window ``clashtor-ops outbox
resend`` can re-publish from); an inbox record ``inbox_retention_hours`` (it must
outlive any redelivery or replay of the event, so keep it above the topics'
retention). Unsent outbox rows are never purged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col

from clashtor_common.db import Database
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from clashtor_common.periodic import Periodic

log = logging.getLogger(__name__)


@dataclass
class Purged:
    outbox: int
    inbox: int


async def purge(db: Database, *, outbox_retention: timedelta, inbox_retention: timedelta) -> Purged:
    """Delete sent outbox rows and inbox records older than their retention."""
    now = datetime.now(UTC)
    async with db.session() as session:
        outbox = await session.execute(
            delete(OutboxRecord).where(col(OutboxRecord.sent_at) < now - outbox_retention)
        )
        inbox = await session.execute(
            delete(InboxRecord).where(col(InboxRecord.handled_at) < now - inbox_retention)
        )
    return Purged(outbox.rowcount or 0, inbox.rowcount or 0)  # type: ignore[attr-defined]


def purge_periodically(
    db: Database,
    *,
    outbox_retention: timedelta,
    inbox_retention: timedelta,
    every_seconds: float,
) -> Periodic:
    """Purge now, then every ``every_seconds``; a failure waits for the next round."""

    async def job() -> None:
        done = await purge(db, outbox_retention=outbox_retention, inbox_retention=inbox_retention)
        if done.outbox or done.inbox:
            log.info("purged %d outbox and %d inbox rows", done.outbox, done.inbox)

    return Periodic("outbox-inbox-purge", every_seconds, job)
