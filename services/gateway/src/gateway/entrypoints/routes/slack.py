"""``/v1/integrations/slack``: the organization's Slack alerts (owned by integrations).

Owners and admins store a bot token (write-only) and rules that post a Block Kit
message into a channel when a call scores below a threshold, mentions a tracker, or
fails.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Response

from clashtor_common.contracts import slack as wire
from clashtor_common.pagination import Paging
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS
from gateway.entrypoints.views import forward

router = APIRouter(prefix="/v1/integrations/slack", tags=["slack"], responses=COMMON_ERRORS)
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
BASE = "/internal/slack"


@router.get("/connection", response_model=wire.SlackConnectionStatus)
async def status(principal: Admin, gw: GatewayDep) -> Response:
    """Whether a bot token is stored, and since when (the token is never answered)."""
    return await forward(gw, "integrations", principal, "GET", f"{BASE}/connection")


@router.put("/connection", status_code=204)
async def connect(body: wire.SlackConnectIn, principal: Admin, gw: GatewayDep) -> Response:
    """Store the organization's Slack bot token (never shown again)."""
    return await forward(
        gw, "integrations", principal, "PUT", f"{BASE}/connection", json=body.model_dump()
    )


@router.delete("/connection", status_code=204)
async def disconnect(principal: Admin, gw: GatewayDep) -> Response:
    return await forward(gw, "integrations", principal, "DELETE", f"{BASE}/connection")


@router.get("/rules", response_model=wire.SlackRuleList)
async def list_rules(principal: Admin, gw: GatewayDep, page: Paging) -> Response:
    """The organization's rules, oldest first."""
    return await forward(
        gw, "integrations", principal, "GET", f"{BASE}/rules", params=page.params()
    )


@router.post("/rules", status_code=201, response_model=wire.SlackRule)
async def create_rule(
    body: Annotated[wire.SlackRuleIn, Body()], principal: Admin, gw: GatewayDep
) -> Response:
    """A rule: ``score_below`` with a ``threshold``, ``tracker_hit`` with a ``tracker``,
    or ``call_failed``."""
    rule = body.model_dump(exclude_none=True)
    return await forward(gw, "integrations", principal, "POST", f"{BASE}/rules", json=rule)


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: wire.RuleId, principal: Admin, gw: GatewayDep) -> Response:
    return await forward(
        gw, "integrations", principal, "DELETE", f"{BASE}/rules/{quote(rule_id, safe='')}"
    )
