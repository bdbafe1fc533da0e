"""``/v1/scorecards`` and ``/v1/trackers``: coaching configuration, owned by score."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from gateway.context import Gateway
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS
from gateway.entrypoints.views import passthrough

Reader = Annotated[Principal, Depends(require(Action.COACHING_READ))]
Manager = Annotated[Principal, Depends(require(Action.COACHING_MANAGE))]
ItemId = Annotated[str, Path(min_length=1, max_length=100)]
JsonBody = Annotated[dict[str, Any], Body()]
_OBJECT = {200: {"model": dict[str, Any]}}


RESCORE_HELP = "re-score past calls scored with it (a job: `rescore` in the answer)"


def resource_router(resource: str, singular: str, *, rescorable: bool = False) -> APIRouter:
    """List, create, read, replace and delete one score-owned resource (``rescorable``:
    a replace may ask for past calls to be re-scored)."""
    router = APIRouter(prefix=f"/v1/{resource}", tags=[resource], responses=COMMON_ERRORS)
    base = f"/internal/{resource}"

    def one(item_id: str) -> str:
        return f"{base}/{quote(item_id, safe='')}"

    async def list_items(principal: Reader, gw: GatewayDep) -> Response:
        status, body = await gw.services.call_json(
            "score", "GET", base, identity=principal.identity()
        )
        return passthrough(status, body)

    async def create_item(body: JsonBody, principal: Manager, gw: GatewayDep) -> Response:
        status, out = await gw.services.call_json(
            "score", "POST", base, identity=principal.identity(), json=body
        )
        return passthrough(status, out)

    async def get_item(item_id: ItemId, principal: Reader, gw: GatewayDep) -> Response:
        status, out = await gw.services.call_json(
            "score", "GET", one(item_id), identity=principal.identity()
        )
        return passthrough(status, out)

    async def replace(
        item_id: str, body: dict[str, Any], principal: Principal, gw: Gateway, rescore: bool
    ) -> Response:
        status, out = await gw.services.call_json(
            "score",
            "PUT",
            one(item_id),
            identity=principal.identity(),
            json=body,
            params={"rescore": "true"} if rescore else None,
        )
        return passthrough(status, out)

    if rescorable:

        async def replace_item(
            item_id: ItemId,
            body: JsonBody,
            principal: Manager,
            gw: GatewayDep,
            rescore: Annotated[bool, Query(description=RESCORE_HELP)] = False,
        ) -> Response:
            return await replace(item_id, body, principal, gw, rescore)

    else:

        async def replace_item(  # type: ignore[misc]
            item_id: ItemId, body: JsonBody, principal: Manager, gw: GatewayDep
        ) -> Response:
            return await replace(item_id, body, principal, gw, False)

    async def delete_item(item_id: ItemId, principal: Manager, gw: GatewayDep) -> Response:
        status, out = await gw.services.call_json(
            "score", "DELETE", one(item_id), identity=principal.identity()
        )
        return passthrough(status, out)

    router.add_api_route(
        "",
        list_items,
        methods=["GET"],
        name=f"list_{resource}",
        response_model=None,
        responses={200: {"model": Any}},
    )
    router.add_api_route(
        "",
        create_item,
        methods=["POST"],
        name=f"create_{singular}",
        status_code=201,
        response_model=None,
        responses={201: {"model": dict[str, Any]}},
    )
    router.add_api_route(
        "/{item_id}",
        get_item,
        methods=["GET"],
        name=f"get_{singular}",
        response_model=None,
        responses=_OBJECT,
    )
    router.add_api_route(
        "/{item_id}",
        replace_item,
        methods=["PUT"],
        name=f"replace_{singular}",
        response_model=None,
        responses=_OBJECT,
    )
    router.add_api_route(
        "/{item_id}",
        delete_item,
        methods=["DELETE"],
        name=f"delete_{singular}",
        status_code=204,
        response_model=None,
        responses={204: {"description": "deleted"}},
    )
    return router


scorecards_router = resource_router("scorecards", "scorecard", rescorable=True)
trackers_router = resource_router("trackers", "tracker")
