"""Internal API of Slack alerts (admins and owners): the organization's bot token and its
rules. The token is write-only: stored encrypted, never answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from integrations.adapters.tables import SlackRule, as_utc
from integrations.entrypoints.deps import AdminIdentity, ContextDep, SessionDep
from integrations.service_layer import slack

router = APIRouter(prefix="/internal/slack", tags=["slack"])
RuleId = Annotated[str, Path(min_length=1, max_length=36)]


class SlackConnect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bot_token: str = Field(
        min_length=10, max_length=300, pattern=r"^xox[bp]-", description="a bot token, xoxb-…"
    )


class SlackRuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["score_below", "tracker_hit", "call_failed"]
    channel: str = Field(min_length=1, max_length=80, description="channel id or #name")
    threshold: float | None = Field(None, ge=0, le=100, description="for score_below")
    tracker: str | None = Field(None, min_length=1, max_length=100, description="for tracker_hit")

    @model_validator(mode="after")
    def _parameters(self) -> SlackRuleCreate:
        if self.kind == "score_below" and self.threshold is None:
            raise ValueError("a score_below rule needs a threshold")
        if self.kind == "tracker_hit" and self.tracker is None:
            raise ValueError("a tracker_hit rule needs a tracker name")
        return self


class SlackRulePublic(BaseModel):
    id: str
    kind: str
    channel: str
    threshold: float | None
    tracker: str | None
    enabled: bool
    created_at: datetime


class SlackRules(BaseModel):
    items: list[SlackRulePublic]


def _rule_view(rule: SlackRule) -> SlackRulePublic:
    return SlackRulePublic(
        id=rule.id,
        kind=rule.kind,
        channel=rule.channel,
        threshold=rule.threshold,
        tracker=rule.tracker,
        enabled=rule.enabled,
        created_at=as_utc(rule.created_at),  # type: ignore[arg-type]
    )


@router.put("/connection", status_code=204, operation_id="connectSlack")
async def connect(
    body: SlackConnect, identity: AdminIdentity, ctx: ContextDep, session: SessionDep
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


@router.get("/rules", response_model=SlackRules, operation_id="listSlackRules")
async def list_rules(identity: AdminIdentity, session: SessionDep) -> SlackRules:
    return SlackRules(items=[_rule_view(r) for r in await slack.rules(session, identity.org_id)])


@router.post(
    "/rules", status_code=201, response_model=SlackRulePublic, operation_id="createSlackRule"
)
async def create_rule(
    body: SlackRuleCreate, identity: AdminIdentity, session: SessionDep
) -> SlackRulePublic:
    rule = await slack.add_rule(
        session,
        org_id=identity.org_id,
        user_id=identity.user_id,
        kind=body.kind,
        channel=body.channel,
        threshold=body.threshold,
        tracker=body.tracker,
    )
    await session.flush()
    return _rule_view(rule)


@router.delete("/rules/{rule_id}", status_code=204, operation_id="deleteSlackRule")
async def delete_rule(rule_id: RuleId, identity: AdminIdentity, session: SessionDep) -> Response:
    await slack.delete_rule(session, identity.org_id, rule_id)
    return Response(status_code=204)
