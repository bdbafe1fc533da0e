"""``/v1/integrations/slack``: the organization's Slack alerts (owned by integrations).

Owners and admins store a bot token (write-only) and rules that post a Block Kit
message into a channel when a call scores below a threshold, mentions a tracker, or
fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Path, Response
from pydantic import BaseModel, Field

from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS, InModel
from gateway.entrypoints.views import passthrough

router = APIRouter(prefix="/v1/integrations/slack", tags=["slack"], responses=COMMON_ERRORS)
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
RuleId = Annotated[str, Path(min_length=1, max_length=36)]
BASE = "/internal/slack"


class SlackConnectIn(InModel):
    bot_token: str = Field(min_length=10, max_length=300, pattern=r"^xox[bp]-")


class _RuleBase(InModel):
    channel: str = Field(min_length=1, max_length=80, description="channel id or #name")


class ScoreBelowRule(_RuleBase):
    kind: Literal["score_below"]
    threshold: float = Field(ge=0, le=100, description="alert when the score is below this")


class TrackerHitRule(_RuleBase):
    kind: Literal["tracker_hit"]
    tracker: str = Field(min_length=1, max_length=100, description="a tracker's name")


class CallFailedRule(_RuleBase):
    kind: Literal["call_failed"]


SlackRuleIn = Annotated[
    ScoreBelowRule | TrackerHitRule | CallFailedRule, Field(discriminator="kind")
]


class SlackRule(BaseModel):
    id: str
    kind: str
    channel: str
    threshold: float | None
    tracker: str | None
    enabled: bool
    created_at: datetime


class SlackRuleList(BaseModel):
    items: list[SlackRule]


@router.put("/connection", status_code=204)
async def connect(body: SlackConnectIn, principal: Admin, gw: GatewayDep) -> Response:
    """Store the organization's Slack bot token (never shown again)."""
    status, out = await gw.services.call_json(
        "integrations",
        "PUT",
        f"{BASE}/connection",
        identity=principal.identity(),
        json=body.model_dump(),
    )
    return passthrough(status, out)


@router.delete("/connection", status_code=204)
async def disconnect(principal: Admin, gw: GatewayDep) -> Response:
    status, out = await gw.services.call_json(
        "integrations", "DELETE", f"{BASE}/connection", identity=principal.identity()
    )
    return passthrough(status, out)


@router.get("/rules", response_model=SlackRuleList)
async def list_rules(principal: Admin, gw: GatewayDep) -> Response:
    status, out = await gw.services.call_json(
        "integrations", "GET", f"{BASE}/rules", identity=principal.identity()
    )
    return passthrough(status, out)


@router.post("/rules", status_code=201, response_model=SlackRule)
async def create_rule(
    body: Annotated[SlackRuleIn, Body()], principal: Admin, gw: GatewayDep
) -> Response:
    """A rule: ``score_below`` with a ``threshold``, ``tracker_hit`` with a ``tracker``,
    or ``call_failed``."""
    status, out = await gw.services.call_json(
        "integrations",
        "POST",
        f"{BASE}/rules",
        identity=principal.identity(),
        json=body.model_dump(exclude_none=True),
    )
    return passthrough(status, out)


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: RuleId, principal: Admin, gw: GatewayDep) -> Response:
    status, out = await gw.services.call_json(
        "integrations",
        "DELETE",
        f"{BASE}/rules/{quote(rule_id, safe='')}",
        identity=principal.identity(),
    )
    return passthrough(status, out)
