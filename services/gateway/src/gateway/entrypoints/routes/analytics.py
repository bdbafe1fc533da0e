"""``/v1/analytics``: the score service's team analytics, for the managers' dashboard.

Everyone may ask; score scopes the rows by the signed identity (a rep sees their own
calls, a manager their team's, owners and admins the organization's) and leaves out
every call an objection covers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, TeamSummaryOut, TrendsOut
from gateway.entrypoints.views import forward

router = APIRouter(prefix="/v1/analytics", tags=["analytics"], responses=COMMON_ERRORS)
Reader = Annotated[Principal, Depends(require(Action.COACHING_READ))]


@router.get("/team", response_model=None, responses={200: {"model": TeamSummaryOut}})
async def team_summary(principal: Reader, gw: GatewayDep) -> Response:
    """Average score and conversation metrics per rep, over the calls you may see."""
    return await forward(gw, "score", principal, "GET", "/internal/analytics/team")


@router.get("/trends", response_model=None, responses={200: {"model": TrendsOut}})
async def team_trends(
    principal: Reader,
    gw: GatewayDep,
    weeks: Annotated[int, Query(ge=1, le=52, description="how many weeks, this one last")] = 12,
) -> Response:
    """Each rep's weekly means beside the team's median (of the reps' means), with the
    recommended range of each metric and the ids of the calls behind every point."""
    return await forward(
        gw, "score", principal, "GET", "/internal/analytics/trends", params={"weeks": weeks}
    )
