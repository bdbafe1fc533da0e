"""The tables Alembic manages for ingest: its own, plus the shared outbox and inbox.

Production creates the schema with ``alembic upgrade head`` only, so the outbox and
inbox tables (defined in ``clashtor_common``) are part of this service's migrations.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord
from ingest.adapters.tables import TABLES

MANAGED_TABLES = (OutboxRecord, InboxRecord, *TABLES)

metadata = MetaData()
for _table in MANAGED_TABLES:
    _table.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
