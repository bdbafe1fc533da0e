"""The call library's rules: playlist titles, clips inside their call, a new order.

A playlist holds whole calls or clips of them; a clip is ``start``–``end`` seconds of
the call and must lie inside the call as ingest measured it. Everyone in the
organization sees every playlist; an item's call opens only for those who may see the
call itself (a playlist grants no access). Its creator, managers, admins and owners
change a playlist.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from clashtor_common.identity import Identity
from ingest.domain.errors import Forbidden, InvalidField, StaleOrder

TITLE_MAX = 200
ITEMS_MAX = 500
"""Items in one playlist at most (the reorder request names them all)."""
EDITOR_ROLES = frozenset({"owner", "admin", "manager"})


def clean_title(title: str) -> str:
    text = " ".join(title.split())
    if not text:
        raise InvalidField("title: give the playlist a title")
    if len(text) > TITLE_MAX:
        raise InvalidField(f"title: at most {TITLE_MAX} characters")
    return text


def check_clip(start: float | None, end: float | None, duration: float) -> None:
    """A whole call (neither bound) or ``0 <= start < end <= duration``."""
    if start is None and end is None:
        return
    if start is None or end is None:
        raise InvalidField("a clip needs both start and end (seconds), or neither for the call")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise InvalidField("start and end must be numbers of seconds")
    if start < 0:
        raise InvalidField("start must be 0 or more seconds")
    if end <= start:
        raise InvalidField("end must be after start")
    if end > duration + 0.001:
        raise InvalidField(f"end is past the end of the call ({duration:.1f} s)")


def may_edit(identity: Identity, created_by: str | None) -> bool:
    return identity.role in EDITOR_ROLES or (
        created_by is not None and identity.user_id == created_by
    )


def ensure_may_edit(identity: Identity, created_by: str | None) -> None:
    if not may_edit(identity, created_by):
        raise Forbidden("only the playlist's creator, managers, admins and owners change it")


def check_order(current: Sequence[str], wanted: Sequence[str]) -> None:
    """``wanted`` must name every item of the playlist once (no more, no fewer)."""
    if len(set(wanted)) != len(wanted):
        raise InvalidField("item_ids: an item is named twice")
    if set(wanted) != set(current):
        raise StaleOrder(
            "item_ids must name every item of the playlist exactly once; "
            "it changed meanwhile: read it again"
        )
