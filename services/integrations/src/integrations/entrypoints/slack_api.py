"""Internal API of Slack alerts (admins and owners): the organization's bot token and its
rules. The token is write-only: stored encrypted, never answered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from clashtor_common.contracts import slack as wire
from clashtor_common.pagination import Paging
from integrations.adapters import tables
from integrations.adapters.tables import as_utc
from integrations.entrypoints.deps import AdminIdentity, ContextDep, SessionDep
from integrations.service_layer import slack

router = APIRouter(prefix="/internal/slack", tags=["slack"])


def _rule_view(rule: tables.SlackRule) -> wire.SlackRule:
    return wire.SlackRule(
        id=rule.id,
        kind=rule.kind,
        channel=rule.channel,
        threshold=rule.threshold,
        tracker=rule.tracker,
        enabled=rule.enabled,
        created_at=as_utc(rule.created_at),  # type: ignore[arg-type]
    )


@router.get("/connection", response_model=wire.SlackConnectionStatus, operation_id="slackStatus")
async def status(identity: AdminIdentity, session: SessionDep) -> wire.SlackConnectionStatus:
    conn = await slack.connection(session, identity.org_id)
    if conn is None:
        return wire.SlackConnectionStatus(connected=False)
    return wire.SlackConnectionStatus(connected=True, connected_at=as_utc(conn.created_at))


@router.put("/connection", status_code=204, operation_id="connectSlack")
async def connect(
    body: wire.SlackConnectIn, identity: AdminIdentity, ctx: ContextDep, session: SessionDep
) -> Response:
    await slack.connect(
        session,
        ctx.keyring,
        org_id=identity.org_id,
        user_id=identity.user_id,
        token=body.bot_token,
    )
    return Response(status_code=204)


@router.delete("/connection", status_code=204, operation_id="disconnectSlack")
async def disconnect(identity: AdminIdentity, session: SessionDep) -> Response:
    await slack.disconnect(session, identity.org_id)
    return Response(status_code=204)


@router.get("/rules", response_model=wire.SlackRuleList, operation_id="listSlackRules")
async def list_rules(
    identity: AdminIdentity, session: SessionDep, page: Paging
) -> wire.SlackRuleList:
    rows, next_cursor = await slack.rules_page(
        session, identity.org_id, limit=page.limit, cursor=page.cursor
    )
    return wire.SlackRuleList(items=[_rule_view(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/rules", status_code=201, response_model=wire.SlackRule, operation_id="createSlackRule"
)
async def create_rule(
    body: Annotated[wire.SlackRuleIn, Body()], identity: AdminIdentity, session: SessionDep
) -> wire.SlackRule:
    rule = await slack.add_rule(
        session,
        org_id=identity.org_id,
        user_id=identity.user_id,
        kind=body.kind,
        channel=body.channel,
        threshold=getattr(body, "threshold", None),
        tracker=getattr(body, "tracker", None),
    )
    await session.flush()
    return _rule_view(rule)


@router.delete("/rules/{rule_id}", status_code=204, operation_id="deleteSlackRule")
async def delete_rule(
    rule_id: wire.RuleId, identity: AdminIdentity, session: SessionDep
) -> Response:
    await slack.delete_rule(session, identity.org_id, rule_id)
    return Response(status_code=204)
