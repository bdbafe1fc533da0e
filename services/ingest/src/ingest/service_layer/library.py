"""The call library: playlists of calls and clips, shared inside an organization.

Ingest owns it because a playlist is made of calls: a clip is checked against the
call's measured duration, and an erased call leaves every playlist in the same
transaction that removes the call. Each use case runs in one short transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import as_utc, utcnow
from clashtor_common.identity import Identity
from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.playlists_repo import PlaylistRepository
from ingest.adapters.tables import PlaylistItemRecord, PlaylistRecord
from ingest.context import IngestContext
from ingest.domain.access import can_see
from ingest.domain.errors import CallNotFound, PlaylistFull, PlaylistNotFound
from ingest.domain.library import (
    ITEMS_MAX,
    check_clip,
    check_order,
    clean_title,
    ensure_may_edit,
    may_edit,
)
from ingest.domain.listing import decode_keyset, encode_cursor
from ingest.service_layer.personal import key_ids, open_title
from ingest.service_layer.views import iso_time


def playlist_view(
    playlist: PlaylistRecord, items: int, identity: Identity | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": playlist.id,
        "title": playlist.title,
        "created_by": playlist.created_by,
        "item_count": items,
        "created_at": iso_time(playlist.created_at),
        "updated_at": iso_time(playlist.updated_at),
    }
    if identity is not None:
        view["can_edit"] = may_edit(identity, playlist.created_by)
    return view


async def _items_view(
    ctx: IngestContext,
    session: AsyncSession,
    identity: Identity,
    items: Sequence[PlaylistItemRecord],
) -> list[dict[str, Any]]:
    """Items with their call's title and duration where the caller may see the call;
    ``call: null`` where they may not (a playlist grants no access to a call)."""
    repo = CallRepository(session, identity.org_id)
    calls = {c.id: c for c in await repo.by_ids(sorted({i.call_id for i in items}))}
    visible = [c for c in calls.values() if can_see(identity, c.uploader_id)]
    sealer = await ctx.keys.sealer(session, key_ids([c.id for c in visible], []))
    shown = {c.id for c in visible}
    out = []
    for item in items:
        call = calls.get(item.call_id)
        out.append(
            {
                "id": item.id,
                "call_id": item.call_id,
                "start": item.start,
                "end": item.end,
                "position": item.position,
                "added_by": item.added_by,
                "added_at": iso_time(item.added_at),
                "call": {
                    "title": open_title(sealer, call),
                    "duration": call.duration,
                    "status": call.status,
                    "uploader_id": call.uploader_id,
                }
                if call is not None and call.id in shown
                else None,
            }
        )
    return out


async def _playlist(
    repo: PlaylistRepository, playlist_id: str, *, lock: bool = False
) -> PlaylistRecord:
    playlist = await repo.get(playlist_id, for_update=lock)
    if playlist is None:
        raise PlaylistNotFound(f"playlist {playlist_id} not found")
    return playlist


async def list_playlists(
    ctx: IngestContext, identity: Identity, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of the organization's playlists, newest first, and the next cursor."""
    after = decode_keyset("playlists", cursor, timed=True) if cursor else None
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        rows = await repo.page(after=after, size=limit + 1)  # type: ignore[arg-type]
        page = rows[:limit]
        counts = await repo.item_counts([p.id for p in page])
    last = page[-1] if len(rows) > limit else None
    return {
        "items": [playlist_view(p, counts.get(p.id, 0), identity) for p in page],
        "next_cursor": encode_cursor("playlists", as_utc(last.created_at), last.id)  # type: ignore[arg-type]
        if last
        else None,
    }


async def create_playlist(ctx: IngestContext, identity: Identity, title: str) -> dict[str, Any]:
    playlist = PlaylistRecord(
        id=str(uuid.uuid4()),
        org_id=identity.org_id,
        title=clean_title(title),
        created_by=identity.user_id,
    )
    async with ctx.db.session() as session:
        session.add(playlist)
    return playlist_view(playlist, 0, identity)


async def get_playlist(ctx: IngestContext, identity: Identity, playlist_id: str) -> dict[str, Any]:
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        playlist = await _playlist(repo, playlist_id)
        counts = await repo.item_counts([playlist.id])
    return playlist_view(playlist, counts.get(playlist.id, 0), identity)


async def rename_playlist(
    ctx: IngestContext, identity: Identity, playlist_id: str, title: str
) -> dict[str, Any]:
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        playlist = await _playlist(repo, playlist_id, lock=True)
        ensure_may_edit(identity, playlist.created_by)
        playlist.title = clean_title(title)
        playlist.updated_at = utcnow()
        session.add(playlist)
        counts = await repo.item_counts([playlist.id])
    return playlist_view(playlist, counts.get(playlist.id, 0), identity)


async def delete_playlist(ctx: IngestContext, identity: Identity, playlist_id: str) -> None:
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        playlist = await _playlist(repo, playlist_id, lock=True)
        ensure_may_edit(identity, playlist.created_by)
        await repo.delete(playlist.id)


async def list_items(
    ctx: IngestContext, identity: Identity, playlist_id: str, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of a playlist's items in its order, and the next cursor."""
    after = decode_keyset("playlist-items", cursor, timed=False) if cursor else None
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        await _playlist(repo, playlist_id)
        rows = await repo.items(
            playlist_id,
            after=(int(after[0]), after[1]) if after else None,
            size=limit + 1,
        )
        page = rows[:limit]
        items = await _items_view(ctx, session, identity, page)
    last = page[-1] if len(rows) > limit else None
    return {
        "items": items,
        "next_cursor": encode_cursor("playlist-items", last.position, last.id) if last else None,
    }


async def add_item(
    ctx: IngestContext,
    identity: Identity,
    playlist_id: str,
    *,
    call_id: str,
    start: float | None,
    end: float | None,
) -> dict[str, Any]:
    """Add a call (or a clip of it) at the end; the caller must be able to see the call."""
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        playlist = await _playlist(repo, playlist_id, lock=True)
        ensure_may_edit(identity, playlist.created_by)
        call = await CallRepository(session, identity.org_id).get(call_id)
        if call is None or not can_see(identity, call.uploader_id):
            raise CallNotFound(f"call {call_id} not found")
        check_clip(start, end, call.duration)
        existing = await repo.items(playlist.id)
        if len(existing) >= ITEMS_MAX:
            raise PlaylistFull(f"a playlist holds at most {ITEMS_MAX} items")
        item = PlaylistItemRecord(
            id=str(uuid.uuid4()),
            playlist_id=playlist.id,
            org_id=identity.org_id,
            call_id=call.id,
            position=max((i.position for i in existing), default=-1) + 1,
            start=start,
            end=end,
            added_by=identity.user_id,
        )
        session.add(item)
        playlist.updated_at = utcnow()
        session.add(playlist)
        await session.flush()
        (view,) = await _items_view(ctx, session, identity, [item])
    return view


async def remove_item(
    ctx: IngestContext, identity: Identity, playlist_id: str, item_id: str
) -> None:
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        playlist = await _playlist(repo, playlist_id, lock=True)
        ensure_may_edit(identity, playlist.created_by)
        item = await repo.item(playlist.id, item_id)
        if item is None:
            raise PlaylistNotFound(f"item {item_id} not found in playlist {playlist_id}")
        await session.delete(item)
        playlist.updated_at = utcnow()
        session.add(playlist)


async def reorder_items(
    ctx: IngestContext, identity: Identity, playlist_id: str, item_ids: Sequence[str]
) -> dict[str, Any]:
    """Put the items in the order given (every item named once); the whole new order."""
    async with ctx.db.session() as session:
        repo = PlaylistRepository(session, identity.org_id)
        playlist = await _playlist(repo, playlist_id, lock=True)
        ensure_may_edit(identity, playlist.created_by)
        items = {i.id: i for i in await repo.items(playlist.id)}
        check_order(list(items), item_ids)
        for position, item_id in enumerate(item_ids):
            items[item_id].position = position
            session.add(items[item_id])
        playlist.updated_at = utcnow()
        session.add(playlist)
        await session.flush()
        ordered = [items[i] for i in item_ids]
        views = await _items_view(ctx, session, identity, ordered)
    return {"items": views, "next_cursor": None}
