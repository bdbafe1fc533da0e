"""``/internal/analytics``: aggregates over scored calls, without anyone who objected."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from clashtor_common.identity import CurrentIdentity
from score.adapters.repository import ScoreRepository
from score.domain.access import visible_uploaders
from score.entrypoints.deps import ContextDep, transaction
from score.service_layer.analytics import team_summary, team_trends

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/team")
async def team(identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    """Average score and conversation metrics per rep, over the calls the caller may see."""
    async with transaction(ctx) as session:
        return await team_summary(
            ScoreRepository(session, identity.org_id), visible_uploaders(identity)
        )


@router.get("/trends")
async def trends(
    identity: CurrentIdentity,
    ctx: ContextDep,
    weeks: Annotated[int, Query(ge=1, le=52)] = 12,
) -> dict[str, Any]:
    """Each rep's weekly trend beside the team's median, over the calls the caller may
    see (a rep: their own; a manager: their team's), with the recommended ranges."""
    async with transaction(ctx) as session:
        return await team_trends(
            ScoreRepository(session, identity.org_id),
            visible_uploaders(identity),
            weeks=weeks,
            today=datetime.now(UTC).date(),
        )
