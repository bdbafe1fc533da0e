"""What a calls list asks for: filters, a sort, and the cursor that resumes it.

Titles and participant names are stored encrypted, so a text search cannot run in SQL;
the service layer matches it after decrypting (``matches_text``), while status, dates,
rep and the sort stay in the query. A cursor is the sort it was made for plus the last
row's sort key and id (keyset pagination: stable under inserts, no offsets).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from clashtor_common.domain_errors import InvalidField
from clashtor_common.pagination import InvalidCursor
from ingest.domain.status import CallStatus

Sort = Literal["newest", "oldest", "longest", "shortest"]
SORTS: dict[str, tuple[str, bool]] = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "longest": ("duration", True),
    "shortest": ("duration", False),
}
"""sort name → (column, descending). Ties are broken by call id in the same direction."""


@dataclass(frozen=True)
class CallQuery:
    """Filters of one list request; ``None`` means "any"."""

    sort: Sort = "newest"
    status: CallStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    """Exclusive upper bound."""
    rep: str | None = None
    """The user id of the rep whose call it is (the uploader)."""
    text: str | None = None
    """Case-insensitive; matches the title or a participant's name or email."""
    participant_fingerprint: str | None = None
    """Keyed fingerprint of a participant's email: calls they took part in."""
    tracker: str | None = None
    """Casefolded tracker name: calls whose latest scoring mentions it."""


def parse_bound(value: str | None, *, field: str, end: bool) -> datetime | None:
    """An ISO date or date-time as a UTC instant. A bare date as an upper bound
    (``to=2026-12-06``) means the whole of that day, so its bound is the next midnight."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidField(
            f"{field} must be a date (YYYY-MM-DD) or an ISO date-time", field=field
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def matches_text(needle: str, title: str | None, people: list[dict[str, object]]) -> bool:
    needle = needle.casefold()
    haystack = [title or ""] + [str(p.get(k) or "") for p in people for k in ("name", "email")]
    return any(needle in value.casefold() for value in haystack)


def encode_cursor(tag: str, key: datetime | float, row_id: str) -> str:
    """An opaque keyset cursor: what it was made for (a sort, a list), a key and an id."""
    value = key.isoformat() if isinstance(key, datetime) else key
    raw = json.dumps([tag, value, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(tag: str, cursor: str, *, timed: bool) -> tuple[datetime | float, str]:
    """The (key, id) to resume after (``timed``: the key is a date-time, else a number);
    422 for a cursor made for another tag, or forged."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, value, row_id = json.loads(raw)
        key: datetime | float = datetime.fromisoformat(value) if timed else float(value)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor from exc
    if made_for != tag:
        raise InvalidCursor(f"this cursor belongs to {made_for}; ask again without it")
    return key, str(row_id)


def decode_cursor(sort: str, cursor: str) -> tuple[datetime | float, str]:
    """A calls-list cursor: it only continues the sort it was made for."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for = json.loads(raw)[0]
        timed = SORTS[made_for][0] == "created_at"
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidCursor from exc
    if made_for != sort:
        raise InvalidCursor(f"this cursor belongs to sort={made_for}; ask again without it")
    return decode_keyset(sort, cursor, timed=timed)
