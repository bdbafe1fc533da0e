"""``/internal/analytics``: aggregates over scored calls, without anyone who objected."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from clashtor_common.identity import CurrentIdentity
from score.adapters.repository import ScoreRepository
from score.domain.access import visible_uploaders
from score.entrypoints.deps import ContextDep, transaction
from score.service_layer.analytics import team_summary

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/team")
async def team(identity: CurrentIdentity, ctx: ContextDep) -> dict[str, Any]:
    """Average score and conversation metrics per rep, over the calls the caller may see."""
    async with transaction(ctx) as session:
        return await team_summary(
            ScoreRepository(session, identity.org_id), visible_uploaders(identity)
        )
