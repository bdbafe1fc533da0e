"""``/v1/scorecards`` and ``/v1/trackers``: coaching configuration, owned by score.

The shapes here are score's (``score.domain.trackers`` and ``score.domain.scorecards``);
score checks the rules a schema cannot say (a phrase with a word to match, a metric it
knows, unique item keys and tracker names) and answers 422 for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.contracts import at_least_one_of
from clashtor_common.pagination import Page, Paging
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import (
    COMMON_ERRORS,
    InModel,
    RescoreJobOut,
)
from gateway.entrypoints.views import forward

Reader = Annotated[Principal, Depends(require(Action.COACHING_READ))]
Manager = Annotated[Principal, Depends(require(Action.COACHING_MANAGE))]
ItemId = Annotated[str, Path(min_length=1, max_length=100)]
SaidBy = Literal["any", "rep", "customer"]
Phrase = Annotated[str, Field(min_length=1, max_length=200, pattern=r"[^\W_]")]
"""A phrase to listen for: at least one letter or digit."""
Points = Annotated[float, Field(gt=0, le=100)]


# --- trackers ---------------------------------------------------------------------------


class TrackerIn(InModel):
    name: str = Field(min_length=1, max_length=80, pattern=r"\S")
    phrases: list[Phrase] = Field(min_length=1, max_length=200)
    enabled: bool = True
    said_by: SaidBy = Field("any", description="count only what this side says")


class TrackerUpdate(InModel):
    """Any of the fields; those left out keep their value."""

    name: str | None = Field(None, min_length=1, max_length=80, pattern=r"\S")
    phrases: list[Phrase] | None = Field(None, min_length=1, max_length=200)
    enabled: bool | None = None
    said_by: SaidBy | None = None


class TrackerOut(BaseModel):
    id: str
    name: str
    phrases: list[str]
    enabled: bool
    said_by: SaidBy
    created_at: datetime | None
    updated_at: datetime | None


class TrackerPage(Page[TrackerOut]):
    pass


# --- scorecards -------------------------------------------------------------------------


class PhraseCue(InModel):
    type: Literal["phrase"]
    phrases: list[Phrase] = Field(min_length=1, max_length=100)
    said_by: SaidBy = "any"
    points: Points = 1.0


class TrackerCue(InModel):
    type: Literal["tracker"]
    tracker: str = Field(min_length=1, max_length=80, description="a tracker's name")
    said_by: SaidBy = "any"
    points: Points = 1.0


class MetricCue(InModel):
    type: Literal["metric"]
    metric: str = Field(min_length=1, max_length=64, description="a conversation metric's name")
    condition: Literal["in_range", "at_least", "at_most"] = "in_range"
    threshold: float | None = Field(None, description="needed by at_least and at_most")
    points: Points = 1.0


Cue = Annotated[PhraseCue | TrackerCue | MetricCue, Field(discriminator="type")]


class ScorecardItem(InModel):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    question: str = Field(min_length=1, max_length=500)
    weight: Points = 1.0
    max_points: Points = 1.0
    cues: list[Cue] = Field(min_length=1, max_length=20)


class ScorecardIn(InModel):
    """From a ``template`` (copied, optionally renamed), or your own ``name`` and ``items``."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"anyOf": [{"required": ["template"]}, {"required": ["items"]}]},
    )

    # Optional but never null (the default None is not validated): an explicit null
    # is refused on its own field, as the schema (no null in it) says.
    template: Literal["meddic", "bant"] = None  # type: ignore[assignment]
    name: str | None = Field(None, min_length=1, max_length=120, pattern=r"\S")
    methodology: str | None = Field(None, min_length=1, max_length=60)
    items: list[ScorecardItem] = Field(None, min_length=1, max_length=50)  # type: ignore[assignment]
    activate: bool = Field(False, description="score new calls with it from now on")

    _template_or_items = at_least_one_of(
        "template", "items", message="a scorecard needs a template (meddic, bant) or its own items"
    )


class ScorecardUpdate(InModel):
    """Any of the fields; a change makes a new version."""

    name: str | None = Field(None, min_length=1, max_length=120, pattern=r"\S")
    methodology: str | None = Field(None, min_length=1, max_length=60)
    items: list[ScorecardItem] | None = Field(None, min_length=1, max_length=50)


class ScorecardOut(BaseModel):
    id: str
    name: str
    methodology: str
    template: str | None = Field(description="the template it was copied from, if any")
    version: int
    active: bool = Field(description="new calls are scored with it")
    items: list[ScorecardItem]
    created_at: datetime | None
    updated_at: datetime | None


class ScorecardUpdatedOut(ScorecardOut):
    rescore: RescoreJobOut | None = Field(
        None, description="with ?rescore=true: the job re-scoring past calls"
    )


class ScorecardPage(Page[ScorecardOut]):
    active_scorecard_id: str | None = Field(description="null: the default template is used")
    default_template: str


# --- routes -----------------------------------------------------------------------------

RESCORE_HELP = "re-score past calls scored with it (a job: `rescore` in the answer)"


def resource_router(
    resource: str,
    singular: str,
    *,
    create: type[InModel],
    update: type[InModel],
    out: type[BaseModel],
    updated: type[BaseModel],
    page: type[BaseModel],
    rescorable: bool = False,
) -> APIRouter:
    """List (a page at a time), create, read, replace and delete one score-owned resource
    (``rescorable``: a replace may ask for past calls to be re-scored)."""
    router = APIRouter(prefix=f"/v1/{resource}", tags=[resource], responses=COMMON_ERRORS)
    base = f"/internal/{resource}"

    def one(item_id: str) -> str:
        return f"{base}/{quote(item_id, safe='')}"

    async def to_score(
        principal: Principal, gw: GatewayDep, method: str, path: str, **kwargs: Any
    ) -> Response:
        return await forward(gw, "score", principal, method, path, **kwargs)

    async def list_items(principal: Reader, gw: GatewayDep, page: Paging) -> Response:
        return await to_score(principal, gw, "GET", base, params=page.params())

    async def create_item(body: InModel, principal: Manager, gw: GatewayDep) -> Response:
        return await to_score(principal, gw, "POST", base, json=body.model_dump(exclude_none=True))

    async def get_item(item_id: ItemId, principal: Reader, gw: GatewayDep) -> Response:
        return await to_score(principal, gw, "GET", one(item_id))

    async def replace(
        item_id: str, body: InModel, principal: Principal, gw: GatewayDep, rescore: bool
    ) -> Response:
        json = body.model_dump(exclude_none=True)
        params = {"rescore": "true"} if rescore else None
        return await to_score(principal, gw, "PUT", one(item_id), json=json, params=params)

    if rescorable:

        async def replace_item(
            item_id: ItemId,
            body: InModel,
            principal: Manager,
            gw: GatewayDep,
            rescore: Annotated[bool, Query(description=RESCORE_HELP)] = False,
        ) -> Response:
            return await replace(item_id, body, principal, gw, rescore)

    else:

        async def replace_item(  # type: ignore[misc]
            item_id: ItemId, body: InModel, principal: Manager, gw: GatewayDep
        ) -> Response:
            return await replace(item_id, body, principal, gw, False)

    # The body models differ per resource: named here, not in the shared signatures.
    create_item.__annotations__["body"] = create
    replace_item.__annotations__["body"] = update

    async def delete_item(item_id: ItemId, principal: Manager, gw: GatewayDep) -> Response:
        return await to_score(principal, gw, "DELETE", one(item_id))

    routes: list[tuple[str, str, Any, str, int, type[BaseModel]]] = [
        ("GET", "", list_items, f"list_{resource}", 200, page),
        ("POST", "", create_item, f"create_{singular}", 201, out),
        ("GET", "/{item_id}", get_item, f"get_{singular}", 200, out),
        ("PUT", "/{item_id}", replace_item, f"replace_{singular}", 200, updated),
    ]
    for method, path, endpoint, name, status, model in routes:
        router.add_api_route(
            path, endpoint, methods=[method], name=name, status_code=status, response_model=model
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


scorecards_router = resource_router(
    "scorecards",
    "scorecard",
    create=ScorecardIn,
    update=ScorecardUpdate,
    out=ScorecardOut,
    updated=ScorecardUpdatedOut,
    page=ScorecardPage,
    rescorable=True,
)
trackers_router = resource_router(
    "trackers",
    "tracker",
    create=TrackerIn,
    update=TrackerUpdate,
    out=TrackerOut,
    updated=TrackerOut,
    page=TrackerPage,
)
