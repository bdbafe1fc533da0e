"""The schema Alembic manages for privacy: its tables plus the common outbox and inbox."""

from __future__ import annotations

from sqlalchemy import MetaData

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from privacy.adapters.tables import TABLES


def target_metadata() -> MetaData:
    metadata = MetaData()
    for table in (OutboxRecord, InboxRecord, *TABLES):
        table.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
    return metadata
