"""``/v1/integrations/slack``: the organization's Slack alerts (owned by integrations).

Owners and admins store a bot token (write-only) and rules that post a Block Kit
message into a channel when a call scores below a threshold, mentions a tracker, or
fails.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Response

from clashtor_common.contracts.slack import (
    RuleId,
    SlackConnectIn,
    SlackRule,
    SlackRuleIn,
    SlackRuleList,
)
from gateway.domain.permissions import Action
from gateway.domain.principal import Principal
from gateway.entrypoints.deps import GatewayDep, require
from gateway.entrypoints.schemas import COMMON_ERRORS
from gateway.entrypoints.views import passthrough

router = APIRouter(prefix="/v1/integrations/slack", tags=["slack"], responses=COMMON_ERRORS)
Admin = Annotated[Principal, Depends(require(Action.INTEGRATIONS_MANAGE))]
BASE = "/internal/slack"


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
