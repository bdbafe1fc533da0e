"""Who may be mentioned on a call, and the names a call's comments show.

Score keeps only user ids; the gateway owns users, so it checks mentions before a
comment is forwarded (only members of the caller's organization who may see the call)
and names the authors and mentioned people in what it answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from clashtor_common.domain_errors import InvalidInput
from clashtor_common.identity import ORG_WIDE_ROLES
from gateway.adapters.tables import User
from gateway.context import Gateway


def may_see_call(user: User, uploader_id: str, uploader_manager: str | None) -> bool:
    """The calls rule (``clashtor_common.identity.can_see``) from the user's side: the
    uploader, their manager, and everyone whose role sees the whole organization."""
    return user.role in ORG_WIDE_ROLES or user.id in (uploader_id, uploader_manager)


async def mentionable(gw: Gateway, org_id: str, uploader_id: str) -> list[User]:
    """Members of the organization who may see a call of ``uploader_id``, by name."""
    async with gw.db.session() as session:
        users = list((await session.execute(select(User).where(User.org_id == org_id))).scalars())
    manager = next((u.manager_id for u in users if u.id == uploader_id), None)
    people = [u for u in users if may_see_call(u, uploader_id, manager)]
    return sorted(people, key=lambda u: (u.name.casefold(), u.id))


def check_mentions(body: Any, allowed: Iterable[User]) -> None:
    """422 with the segment's field for a mention of someone not allowed on this call."""
    ids = {u.id for u in allowed}
    segments = body.get("segments") if isinstance(body, dict) else None
    for i, segment in enumerate(segments if isinstance(segments, list) else []):
        if isinstance(segment, dict) and segment.get("type") == "mention":
            user_id = segment.get("user_id")
            if user_id not in ids:
                raise InvalidInput(
                    f"body.segments.{i}.user_id: {user_id!r} is not a member of this "
                    "organization who may see the call",
                    "unknown_mention",
                )


async def names(gw: Gateway, org_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted({u for u in user_ids if u})
    if not wanted:
        return {}
    async with gw.db.session() as session:
        rows = await session.execute(
            select(User).where(User.org_id == org_id, User.id.in_(wanted))  # type: ignore[attr-defined]
        )
        return {u.id: u.name for u in rows.scalars()}


def _people_of(comment: dict[str, Any]) -> set[str]:
    found = {comment.get("author_id") or ""}
    for s in (comment.get("body") or {}).get("segments") or []:
        if s.get("type") == "mention":
            found.add(s.get("user_id") or "")
    for reply in comment.get("replies") or []:
        found |= _people_of(reply)
    return found


def _named(comment: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
    segments = [
        {**s, "name": who.get(s.get("user_id") or "")} if s.get("type") == "mention" else s
        for s in (comment.get("body") or {}).get("segments") or []
    ]
    named = {
        **comment,
        "author_name": who.get(comment.get("author_id") or ""),
        "body": {"segments": segments},
    }
    if "replies" in comment:
        named["replies"] = [_named(r, who) for r in comment["replies"]]
    return named


async def with_names(
    gw: Gateway, org_id: str, comments: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Comments with ``author_name`` and each mention's ``name`` (None for a user since
    removed)."""
    ids: set[str] = set()
    for c in comments:
        ids |= _people_of(c)
    who = await names(gw, org_id, ids)
    return [_named(c, who) for c in comments]
