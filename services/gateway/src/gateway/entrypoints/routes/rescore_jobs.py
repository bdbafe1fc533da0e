"""``/v1/rescore-jobs``: re-scoring past calls after a tracker or scorecard change (score).

A manager starts a job; everyone may watch its progress, which the score service moves
batch by batch in the background (``percent`` reaches 100 when ``status`` is
``completed``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response

from clashtor_common.pagination import Cursor
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, RescoreJobIn, RescoreJobOut, RescoreJobPage
from gateway.entrypoints.views import forward, passthrough, with_location

router = APIRouter(prefix="/v1/rescore-jobs", tags=["rescore-jobs"], responses=COMMON_ERRORS)
Reader = Annotated[Principal, Depends(require(Action.COACHING_READ))]
Manager = Annotated[Principal, Depends(require(Action.COACHING_MANAGE))]
BASE = "/internal/rescore-jobs"


@router.post("", status_code=202, response_model=None, responses={202: {"model": RescoreJobOut}})
async def start_job(body: RescoreJobIn, principal: Manager, gw: GatewayDep) -> Response:
    """Re-score past calls with the trackers and scorecards in force now."""
    status, out = await gw.services.call_json(
        "score", "POST", BASE, identity=principal.identity(), json=body.model_dump()
    )
    return with_location(passthrough(status, out), "/v1/rescore-jobs/{id}")


@router.get("", response_model=None, responses={200: {"model": RescoreJobPage}})
async def list_jobs(
    principal: Reader,
    gw: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> Response:
    """The organization's jobs, newest first."""
    params = {"limit": limit, "cursor": cursor}
    return await forward(gw, "score", principal, "GET", BASE, params=params)


@router.get("/{job_id}", response_model=None, responses={200: {"model": RescoreJobOut}})
async def get_job(
    job_id: Annotated[str, Path(min_length=1, max_length=100)], principal: Reader, gw: GatewayDep
) -> Response:
    """One job's progress: ``done`` of ``total``, ``percent``, ``status``."""
    return await forward(gw, "score", principal, "GET", f"{BASE}/{quote(job_id, safe='')}")
