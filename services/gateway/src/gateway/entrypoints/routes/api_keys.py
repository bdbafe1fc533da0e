"""``/v1/api-keys``: keys for the developer API (``Authorization: Bearer <key>``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from clashtor_common.pagination import Paging
from gateway.domain.permissions import Action, Role
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, ApiKeyCreatedOut, ApiKeyIn, ApiKeyPage, RowId
from gateway.entrypoints.views import api_key_out
from gateway.service_layer import api_keys

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=COMMON_ERRORS)
KeyHolder = Annotated[Principal, Depends(require(Action.API_KEYS_MANAGE_OWN))]


@router.post("", status_code=201, response_model=ApiKeyCreatedOut)
async def create_key(body: ApiKeyIn, principal: KeyHolder, gw: GatewayDep) -> ApiKeyCreatedOut:
    """A new key for your organization, with a role no higher than yours. Shown once."""
    row, key = await api_keys.create(
        gw, principal, name=body.name, role=Role(body.role) if body.role else None
    )
    return ApiKeyCreatedOut(**api_key_out(row).model_dump(), key=key)


@router.get("", response_model=ApiKeyPage)
async def list_keys(principal: KeyHolder, gw: GatewayDep, page: Paging) -> ApiKeyPage:
    """Your keys (owners and admins: every key of the organization), oldest first."""
    found = await api_keys.list_keys(gw, principal, limit=page.limit, cursor=page.cursor)
    return ApiKeyPage.of(found, api_key_out)


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_key(
    key_id: RowId,
    principal: KeyHolder,
    gw: GatewayDep,
) -> Response:
    """Revoke a key: it stops working at once."""
    await api_keys.revoke(gw, principal, key_id)
    return Response(status_code=204)
