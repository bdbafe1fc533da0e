"""One cursor pagination for every list: ``limit`` and ``cursor`` in, ``{items, next_cursor}`` out.

A cursor is opaque to clients: the sort key of the last row a page showed, as JSON in
URL-safe base64. The next page starts strictly after that key, in the list's stable
order (a sort column and the row id as tie-breaker), so rows added or removed between
two pages never repeat or shift one. A cursor this API did not make is a 422
``validation_error`` naming the ``cursor`` field; ``next_cursor`` is null on the last page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from clashtor_common.db import as_utc
from clashtor_common.domain_errors import InvalidField

T = TypeVar("T")
Row = TypeVar("Row")
Key = tuple[Any, ...]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_MAX_CHARS = 500
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=CURSOR_MAX_CHARS, description="next_cursor of the previous page"),
]


@dataclass(frozen=True)
class PageQuery:
    """The page a list request asks for: its ``limit`` and ``cursor`` travel together, from
    the query string to the service that reads the rows."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def params(self) -> dict[str, Any]:
        """The query parameters asking another service's list for the same page (no
        ``cursor`` on the first)."""
        return {"limit": self.limit} | ({"cursor": self.cursor} if self.cursor else {})


def paging(default_limit: int = DEFAULT_LIMIT) -> Any:
    """The dependency reading ``?limit=&cursor=`` into a ``PageQuery``, ``default_limit``
    items when the client names none (``Paging`` is the usual one). It is async so
    FastAPI runs it on the event loop, not in a worker thread."""

    async def page_query(limit: Limit = default_limit, cursor: Cursor = None) -> PageQuery:
        return PageQuery(limit=limit, cursor=cursor)

    return Depends(page_query)


Paging = Annotated[PageQuery, paging()]
"""A route's ``limit`` (50 unless asked) and ``cursor`` query parameters, as one ``PageQuery``."""


class InvalidCursor(InvalidField):
    def __init__(self, message: str = "cursor is not one this API returned") -> None:
        super().__init__(message, field="cursor", location="query", kind="invalid_cursor")


NEXT_CURSOR_DOC = "pass as cursor for the next page; null on the last page"


class Page(BaseModel, Generic[T]):
    """The envelope of every list. Subclass it per item model (``class MemberPage(Page[MemberOut])``)
    so the OpenAPI schema keeps a name of its own."""

    items: list[T]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR_DOC)

    @classmethod
    def of(cls, found: tuple[Sequence[Row], str | None], view: Callable[[Row], T]) -> Self:
        """The page of ``found`` (rows and the next page's cursor, as ``keyset_page`` and
        ``page_of`` return them), each row shown by ``view``."""
        rows, next_cursor = found
        return cls(items=[view(row) for row in rows], next_cursor=next_cursor)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(key: Key) -> str:
    """The cursor that resumes after the row whose sort key is ``key``."""
    raw = json.dumps([_plain(v) for v in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> Key:
    """The sort key inside ``cursor``, each part of the type in ``kinds`` (``datetime``
    parts come back timezone-aware as they went in); ``InvalidCursor`` if forged."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor from exc
    if not isinstance(parts, list) or len(parts) != len(kinds):
        raise InvalidCursor
    key: list[Any] = []
    for part, kind in zip(parts, kinds, strict=True):
        if kind is datetime and isinstance(part, str):
            try:
                moment = datetime.fromisoformat(part)
            except ValueError as exc:
                raise InvalidCursor from exc
            if moment.tzinfo is None:  # every cursor we hand out is aware: forged
                raise InvalidCursor
            key.append(moment)
        elif kind is float and isinstance(part, int | float) and not isinstance(part, bool):
            key.append(float(part))
        elif kind in (str, int) and type(part) is kind:
            key.append(part)
        else:
            raise InvalidCursor
    return tuple(key)


def page_of(
    rows: Sequence[T],
    key: Callable[[T], Key],
    kinds: Sequence[type],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[T], str | None]:
    """One page of ``rows`` (a small list read whole, in ascending ``key`` order, each
    key of the types ``kinds``) after ``cursor``, and the cursor of the next page."""
    if cursor:
        after = _comparable(decode_cursor(cursor, kinds))
        rows = [r for r in rows if _comparable(key(r)) > after]
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor(key(page[-1])) if more and page else None


def _comparable(key: Key) -> Key:
    return tuple(v.timestamp() if isinstance(v, datetime) else v for v in key)


def after_key(
    columns: Sequence[ColumnElement[Any]], key: Key, *, descending: bool = False
) -> ColumnElement[bool]:
    """SQL condition for rows strictly after ``key`` in ``ORDER BY columns`` (each
    ascending, or each descending): the keyset a query adds for the next page."""
    terms = []
    for i, column in enumerate(columns):
        equal = [c == v for c, v in zip(columns[:i], key[:i], strict=True)]
        beyond = column < key[i] if descending else column > key[i]
        terms.append(and_(*equal, beyond))
    return or_(*terms)


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    columns: Sequence[Any],
    key: Callable[[Any], Key],
    kinds: Sequence[type],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``query``'s rows in ``ORDER BY columns`` (``key`` reads a row's values
    of them, of the types ``kinds``), after ``cursor``, and the next page's cursor."""
    if cursor:
        query = query.where(after_key(columns, decode_cursor(cursor, kinds), descending=descending))
    order = [c.desc() for c in columns] if descending else list(columns)
    rows = list((await session.execute(query.order_by(*order).limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(key(rows[-1])) if more else None


def creation_key(row: Any) -> tuple[datetime, str]:
    """A row's creation key: ``created_at`` (as UTC; SQLite hands it back naive) and ``id``."""
    return (as_utc(row.created_at), row.id)


async def creation_page(
    session: AsyncSession,
    query: Select[Any],
    table: Any,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` (rows of ``table``, which has ``created_at`` and ``id``) in
    creation order, oldest or newest first, and the next page's cursor."""
    return await keyset_page(
        session,
        query,
        (table.created_at, table.id),
        creation_key,
        (datetime, str),
        limit=limit,
        cursor=cursor,
        descending=newest_first,
    )
