"""Outbound webhooks (``/v1/webhooks`` → integrations' ``/internal/webhooks``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from clashtor_common.contracts import InModel
from clashtor_common.pagination import Page

EventType = Literal["call.scored", "call.failed", "privacy.request.completed"]
"""The events an organization can subscribe a URL (or a Zapier hook) to."""
WebhookId = Annotated[str, Path(min_length=1, max_length=36)]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40)]


class WebhookIn(InModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL receiving events")
    event_types: list[EventType] = Field(min_length=1, max_length=3)
    description: str = Field("", max_length=200)


class WebhookPatch(InModel):
    url: str | None = Field(None, min_length=8, max_length=2000)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=3)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class Webhook(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    source: Literal["api", "zapier"]
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook):
    secret: str = Field(description="whsec_… signing secret; shown only in this answer")


class WebhookPage(Page[Webhook]):
    pass


class RotatedSecret(BaseModel):
    secret: str = Field(description="the new whsec_… secret; shown only in this answer")
    previous_valid_until: datetime = Field(description="the old secret also signs until then")


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None = Field(description="the receiver's HTTP status; null: no answer")
    error: str | None
    duration_ms: int
    manual: bool


class Delivery(BaseModel):
    id: str = Field(description="the webhook-id the receiver saw")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[DeliveryAttempt]


class DeliveryPage(Page[Delivery]):
    pass


class ZapierHook(BaseModel):  # a webhook (source: zapier) on one event
    id: str
    event: str
