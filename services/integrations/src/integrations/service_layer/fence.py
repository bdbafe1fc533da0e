"""The erasure fence of the workers that send a subject's data out of this service
(Zoom imports to ingest, Slack alerts): once integrations has answered an erasure,
nothing of the subject leaves any more.

A worker claims a row with a lease (``next_attempt_at``) and, right before sending it,
hands it over (``hand_over``): in one short transaction, under the row's lock, it must
still be pending under that lease (not erased, not taken over by another worker once
the lease ran out); it then takes its sending status under a renewed lease, and the
outcome is recorded only while it still has both (``still_ours``). An erasure, under
the same row locks, removes the subject's rows that are not being sent, and raises
``SendingNow`` (transient: the consumer rolls back and tries the erasure again) while
one is being sent under a live lease (``sending_now``), so its answer comes only once
that send's outcome is recorded. A row whose worker died mid-send (lease over) is not
waited for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.db import Database, as_utc
from clashtor_common.failures import TransientError

PENDING = "pending"
Row = TypeVar("Row")


class SendingNow(TransientError):
    """A row of the subject is being sent right now: the erasure waits for its outcome."""


async def locked(session: AsyncSession, model: type[Row], row_id: str) -> Row | None:
    """The row, locked until ``session``'s transaction ends (PostgreSQL; SQLite's
    transactions hold the database's write lock already)."""
    query = select(model).where(col(model.id) == row_id).with_for_update()  # type: ignore[attr-defined]
    return (await session.execute(query)).scalar_one_or_none()


def still_ours(row: Any, status: str, lease: datetime) -> bool:
    """Whether ``row`` is still in ``status`` under the lease its worker holds."""
    return row is not None and row.status == status and as_utc(row.next_attempt_at) == lease


def sending_now(row: Any, sending: str, now: datetime) -> bool:
    return bool(row.status == sending and (as_utc(row.next_attempt_at) or now) > now)


async def hand_over(
    db: Database, model: type[Any], row_id: str, lease: datetime, renew: timedelta, sending: str
) -> datetime | None:
    """Pass the fence: the row takes the ``sending`` status under a lease renewed for
    the send (returned), or None if it was erased or is not this worker's any more."""
    now = datetime.now(UTC)
    async with db.session() as session:
        row = await locked(session, model, row_id)
        if row is None or not still_ours(row, PENDING, lease):
            return None
        row.status, row.next_attempt_at = sending, now + renew
        if hasattr(row, "updated_at"):
            row.updated_at = now
        session.add(row)
        return now + renew


def refuse_while_sending(
    rows: list[Any], sending: str, what: str, error: type[SendingNow] = SendingNow
) -> None:
    """Raise ``error`` if one of ``rows`` is being sent under a live lease."""
    now = datetime.now(UTC)
    busy = [row.id for row in rows if sending_now(row, sending, now)]
    if busy:
        raise error(
            f"{what} {', '.join(busy)} being sent: the erasure goes on once the outcome is recorded"
        )
