"""Inbox: which events a consumer has handled, recorded in the handler's own transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel


class InboxRecord(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: uuid.UUID = Field(primary_key=True)
    event_type: str = Field(max_length=100)
    handled_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


async def claim(session: AsyncSession, consumer: str, event_id: uuid.UUID, event_type: str) -> bool:
    """Record the event as handled by ``consumer``; False if it already was.

    Runs inside the handler's transaction (a savepoint), so the record and the
    handler's effect commit or roll back together.
    """
    if await session.get(InboxRecord, (consumer, event_id)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(InboxRecord(consumer=consumer, event_id=event_id, event_type=event_type))
    except IntegrityError:
        return False
    return True
