"""``/v1/admin``: the organization's own view of how it uses the product."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, UsageSummaryOut
from gateway.service_layer import usage

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=COMMON_ERRORS)


@router.get("/usage", response_model=UsageSummaryOut)
async def usage_summary(
    principal: Annotated[Principal, Depends(require(Action.USAGE_READ))],
    gw: GatewayDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> UsageSummaryOut:
    """Requests per feature (route), active users and errors over the last ``days``."""
    await gw.usage.flush_now()  # this replica's rows waiting for their batch count too
    return UsageSummaryOut.model_validate(await usage.summarize(gw.db, principal.org_id, days=days))
