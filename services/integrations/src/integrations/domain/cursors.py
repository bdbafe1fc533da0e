"""The sort key of integrations' lists (webhooks, deliveries, Slack rules): creation
time, then id (cursors themselves are ``clashtor_common.pagination``'s)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clashtor_common.db import as_utc


def by_creation(row: Any) -> tuple[datetime, str]:
    """A row's key: ``created_at`` (as UTC; SQLite hands it back naive) and ``id``."""
    return (as_utc(row.created_at), row.id)
