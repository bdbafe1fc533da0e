"""``/internal/playlists``: the call library (the gateway maps ``/v1/playlists`` here).

Everyone in the organization reads every playlist; its creator, managers, admins and
owners change it. Another organization's playlist, item or call is 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.identity import CurrentIdentity
from clashtor_common.pagination import PageQuery, Paging, paging
from ingest.domain.library import ITEMS_MAX, TITLE_MAX
from ingest.entrypoints.deps import ContextDep
from ingest.service_layer import library

router = APIRouter(prefix="/playlists", tags=["playlists"])
PlaylistId = Annotated[str, Path(min_length=1, max_length=100)]
ItemId = Annotated[str, Path(min_length=1, max_length=100)]
PlaylistPaging = Annotated[PageQuery, paging(default_limit=20)]


class PlaylistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=TITLE_MAX)


class ItemIn(BaseModel):
    """A whole call, or a clip of it: ``start`` and ``end`` in seconds, inside the call."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=100)
    start: float | None = Field(None, ge=0)
    end: float | None = Field(None, gt=0)


class OrderIn(BaseModel):
    """Every item of the playlist, once, in the new order."""

    model_config = ConfigDict(extra="forbid")

    item_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        max_length=ITEMS_MAX
    )


@router.get("")
async def list_playlists(
    identity: CurrentIdentity, ctx: ContextDep, page: PlaylistPaging
) -> dict[str, Any]:
    """The organization's playlists, newest first: ``{items, next_cursor}``."""
    return await library.list_playlists(ctx, identity, limit=page.limit, cursor=page.cursor)


@router.post("", status_code=201)
async def create_playlist(
    body: PlaylistIn, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    return await library.create_playlist(ctx, identity, body.title)


@router.get("/{playlist_id}")
async def get_playlist(
    playlist_id: PlaylistId, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    return await library.get_playlist(ctx, identity, playlist_id)


@router.patch("/{playlist_id}")
async def rename_playlist(
    playlist_id: PlaylistId, body: PlaylistIn, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    return await library.rename_playlist(ctx, identity, playlist_id, body.title)


@router.delete("/{playlist_id}", status_code=204)
async def delete_playlist(
    playlist_id: PlaylistId, identity: CurrentIdentity, ctx: ContextDep
) -> Response:
    await library.delete_playlist(ctx, identity, playlist_id)
    return Response(status_code=204)


@router.get("/{playlist_id}/items")
async def list_items(
    playlist_id: PlaylistId, identity: CurrentIdentity, ctx: ContextDep, page: Paging
) -> dict[str, Any]:
    """The playlist's items in order: ``{items, next_cursor}``; ``call`` is null for a
    call the caller may not see."""
    return await library.list_items(
        ctx, identity, playlist_id, limit=page.limit, cursor=page.cursor
    )


@router.post("/{playlist_id}/items", status_code=201)
async def add_item(
    playlist_id: PlaylistId, body: ItemIn, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    return await library.add_item(
        ctx, identity, playlist_id, call_id=body.call_id, start=body.start, end=body.end
    )


@router.put("/{playlist_id}/items/order")
async def reorder_items(
    playlist_id: PlaylistId, body: OrderIn, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    return await library.reorder_items(ctx, identity, playlist_id, body.item_ids)


@router.delete("/{playlist_id}/items/{item_id}", status_code=204)
async def remove_item(
    playlist_id: PlaylistId, item_id: ItemId, identity: CurrentIdentity, ctx: ContextDep
) -> Response:
    await library.remove_item(ctx, identity, playlist_id, item_id)
    return Response(status_code=204)
