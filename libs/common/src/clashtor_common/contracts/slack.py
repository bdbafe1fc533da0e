"""Slack alerts (``/v1/integrations/slack`` → integrations' ``/internal/slack``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from clashtor_common.contracts import InModel
from clashtor_common.pagination import Page

RuleId = Annotated[str, Path(min_length=1, max_length=36)]


class SlackConnectIn(InModel):
    bot_token: str = Field(min_length=10, max_length=300, pattern=r"^xox[bp]-")


class SlackConnectionStatus(BaseModel):
    """Whether the organization stored a bot token (the token itself is never answered)."""

    connected: bool
    connected_at: datetime | None = Field(None, description="when a token was first stored")


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
"""A rule: ``score_below`` with a ``threshold``, ``tracker_hit`` with a ``tracker``, or
``call_failed``."""


class SlackRule(BaseModel):
    id: str
    kind: str
    channel: str
    threshold: float | None
    tracker: str | None
    enabled: bool
    created_at: datetime


class SlackRuleList(Page[SlackRule]):
    pass
