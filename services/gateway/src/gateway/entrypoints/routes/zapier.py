"""``/v1/zapier``: Zapier's REST hooks (subscribe, unsubscribe, sample data, auth test).

A Zapier app authenticates with an API key (``Authorization: Bearer ck_…``) of an
owner or admin; subscriptions become webhooks of the organization (``source: zapier``,
owned by integrations), so deliveries are signed, retried and logged like any other.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from clashtor_common.contracts.webhooks import EventType, ZapierHook
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, InModel
from gateway.entrypoints.views import forward

router = APIRouter(prefix="/v1/zapier", tags=["zapier"], responses=COMMON_ERRORS)
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
BASE = "/internal/zapier"
HookId = Annotated[str, Path(min_length=1, max_length=36)]


class ZapierSubscribeIn(InModel):
    # Zapier names it so in its REST hook requests.
    hookUrl: str = Field(min_length=8, max_length=2000, description="Zapier's hook URL")
    event: EventType


class CallScoredSample(BaseModel):
    call_id: str
    uploader_id: str | None
    overall_score: float | None
    scorecard: str | None
    engine: str | None
    trackers: list[str]
    url: str


class CallFailedSample(BaseModel):
    call_id: str
    uploader_id: str | None
    stage: str | None
    code: str | None
    reason: str | None
    url: str


class PrivacyRequestCompletedSample(BaseModel):
    request_id: str
    kind: str
    status: str
    subject_type: str


EventSample = CallScoredSample | CallFailedSample | PrivacyRequestCompletedSample


class ZapierMe(BaseModel):
    org_id: str
    user_id: str
    role: str


@router.get("/me", response_model=ZapierMe)
async def auth_test(principal: Admin) -> ZapierMe:
    """Zapier's auth test: the key works and may manage the organization's hooks."""
    return ZapierMe(org_id=principal.org_id, user_id=principal.user_id, role=principal.role.value)


@router.post("/hooks", status_code=201, response_model=ZapierHook)
async def subscribe(body: ZapierSubscribeIn, principal: Admin, gw: GatewayDep) -> Response:
    hook = {"hook_url": body.hookUrl, "event": body.event}
    return await forward(gw, "integrations", principal, "POST", f"{BASE}/hooks", json=hook)


@router.delete("/hooks/{hook_id}", status_code=204)
async def unsubscribe(hook_id: HookId, principal: Admin, gw: GatewayDep) -> Response:
    return await forward(
        gw, "integrations", principal, "DELETE", f"{BASE}/hooks/{quote(hook_id, safe='')}"
    )


@router.get("/samples/{event}", response_model=list[EventSample])
async def sample(event: EventType, principal: Admin, gw: GatewayDep) -> Response:
    """An example of the event's data, for Zapier's field mapping (a bare array: Zapier's
    polling format, not a page)."""
    return await forward(gw, "integrations", principal, "GET", f"{BASE}/samples/{event}")
