"""``/v1/playlists``: the call library (playlists of calls and clips), owned by ingest.

Everyone in the organization reads every playlist; an item's call opens only for who
may see the call. Ingest decides who may change a playlist (its creator, managers,
admins, owners) and checks each clip against its call's duration.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Response

from clashtor_common.pagination import PageQuery, Paging, paging
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    PlaylistIn,
    PlaylistItemIn,
    PlaylistItemOut,
    PlaylistItemPage,
    PlaylistOrderIn,
    PlaylistOut,
    PlaylistPage,
)
from gateway.entrypoints.views import forward, with_location

router = APIRouter(prefix="/v1/playlists", tags=["playlists"], responses=COMMON_ERRORS)
Reader = Annotated[Principal, Depends(require(Action.LIBRARY_READ))]
Editor = Annotated[Principal, Depends(require(Action.LIBRARY_EDIT))]
PlaylistId = Annotated[str, Path(min_length=1, max_length=100)]
ItemId = Annotated[str, Path(min_length=1, max_length=100)]
PlaylistPaging = Annotated[PageQuery, paging(default_limit=20)]
BASE = "/internal/playlists"


def _path(playlist_id: str, suffix: str = "") -> str:
    return f"{BASE}/{quote(playlist_id, safe='')}{suffix}"


async def _forward(
    gw: GatewayDep, principal: Principal, method: str, path: str, **kw: Any
) -> Response:
    return await forward(gw, "ingest", principal, method, path, **kw)


@router.get("", response_model=None, responses={200: {"model": PlaylistPage}})
async def list_playlists(principal: Reader, gw: GatewayDep, page: PlaylistPaging) -> Response:
    """The organization's playlists, newest first; ``next_cursor`` continues."""
    return await _forward(gw, principal, "GET", BASE, params=page.params())


@router.post("", status_code=201, response_model=None, responses={201: {"model": PlaylistOut}})
async def create_playlist(body: PlaylistIn, principal: Editor, gw: GatewayDep) -> Response:
    """A new playlist, shared with the whole organization."""
    made = await _forward(gw, principal, "POST", BASE, json=body.model_dump())
    return with_location(made, "/v1/playlists/{id}")


@router.get("/{playlist_id}", response_model=None, responses={200: {"model": PlaylistOut}})
async def get_playlist(playlist_id: PlaylistId, principal: Reader, gw: GatewayDep) -> Response:
    return await _forward(gw, principal, "GET", _path(playlist_id))


@router.patch("/{playlist_id}", response_model=None, responses={200: {"model": PlaylistOut}})
async def rename_playlist(
    playlist_id: PlaylistId, body: PlaylistIn, principal: Editor, gw: GatewayDep
) -> Response:
    return await _forward(gw, principal, "PATCH", _path(playlist_id), json=body.model_dump())


@router.delete("/{playlist_id}", status_code=204, response_model=None)
async def delete_playlist(playlist_id: PlaylistId, principal: Editor, gw: GatewayDep) -> Response:
    return await _forward(gw, principal, "DELETE", _path(playlist_id))


@router.get(
    "/{playlist_id}/items", response_model=None, responses={200: {"model": PlaylistItemPage}}
)
async def list_items(
    playlist_id: PlaylistId, principal: Reader, gw: GatewayDep, page: Paging
) -> Response:
    """The playlist's calls and clips in its order; ``next_cursor`` continues."""
    path = _path(playlist_id, "/items")
    return await _forward(gw, principal, "GET", path, params=page.params())


@router.post(
    "/{playlist_id}/items",
    status_code=201,
    response_model=None,
    responses={201: {"model": PlaylistItemOut}},
)
async def add_item(
    playlist_id: PlaylistId, body: PlaylistItemIn, principal: Editor, gw: GatewayDep
) -> Response:
    """Add a call you may see, whole or as a clip (``start``–``end`` inside the call), last."""
    path = _path(playlist_id, "/items")
    return await _forward(gw, principal, "POST", path, json=body.model_dump(exclude_none=True))


@router.put(
    "/{playlist_id}/order",
    response_model=None,
    responses={200: {"model": PlaylistItemPage}},
)
async def reorder_items(
    playlist_id: PlaylistId, body: PlaylistOrderIn, principal: Editor, gw: GatewayDep
) -> Response:
    """Every item once, in the new order (409 ``stale_order`` if the playlist changed)."""
    path = _path(playlist_id, "/items/order")
    return await _forward(gw, principal, "PUT", path, json=body.model_dump())


@router.delete("/{playlist_id}/items/{item_id}", status_code=204, response_model=None)
async def remove_item(
    playlist_id: PlaylistId, item_id: ItemId, principal: Editor, gw: GatewayDep
) -> Response:
    path = _path(playlist_id, f"/items/{quote(item_id, safe='')}")
    return await _forward(gw, principal, "DELETE", path)
