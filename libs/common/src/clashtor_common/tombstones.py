"""The columns every erasure tombstone ends with: which privacy request erased the
subject, and when.

A service's tombstone table subclasses ``TombstoneColumns`` with ``table=True`` and adds
its ids. The timestamp is declared with ``sa_type`` (not ``sa_column``): a ``Column``
object belongs to one table, while a field declared this way gives each subclass its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from clashtor_common.db import utcnow


class TombstoneColumns(SQLModel):
    """What erased a subject (ids only, no personal data): the request, and the time."""

    request_id: str = Field(max_length=100)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
