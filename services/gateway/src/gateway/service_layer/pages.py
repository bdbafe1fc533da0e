"""The gateway's own lists (members, invitations, API keys, notifications), a page at a time.

Each is ordered by creation time and id (``clashtor_common.pagination``): oldest first,
or newest first for notifications.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select

from clashtor_common.db import as_utc
from clashtor_common.pagination import keyset_page
from gateway.context import Gateway

T = TypeVar("T")


async def by_creation(
    gw: Gateway,
    query: Select[Any],
    table: type[T],
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> tuple[list[T], str | None]:
    """One page of ``query`` (rows of ``table``) in creation order, and the next cursor."""
    columns = (table.created_at, table.id)  # type: ignore[attr-defined]
    async with gw.db.session() as session:
        return await keyset_page(
            session,
            query,
            columns,
            lambda row: (as_utc(row.created_at), row.id),
            (datetime, str),
            limit=limit,
            cursor=cursor,
            descending=newest_first,
        )
