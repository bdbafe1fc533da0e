"""The gateway's own lists (members, invitations, API keys, notifications), a page at a time.

Each is ordered by creation time and id (``clashtor_common.pagination``): oldest first,
or newest first for notifications.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from clashtor_common.pagination import creation_page
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
    async with gw.db.session() as session:
        return await creation_page(
            session, query, table, limit=limit, cursor=cursor, newest_first=newest_first
        )
