"""Request and response models of the internal webhook API (the gateway re-exposes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from integrations.domain.catalog import EventType

Url = Field(min_length=8, max_length=2000, description="http(s) URL that receives the events")
EventTypes = Field(min_length=1, max_length=3, description="the events to send")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookCreate(_Closed):
    url: str = Url
    event_types: list[EventType] = EventTypes
    description: str = Field("", max_length=200)


class WebhookUpdate(_Closed):
    url: str | None = Field(None, min_length=8, max_length=2000)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=3)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    source: Literal["api", "zapier"]
    enabled: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="whsec_… signing secret; shown only now")


class WebhookPage(BaseModel):
    items: list[WebhookPublic]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")


class SecretRotated(BaseModel):
    secret: str = Field(description="the new whsec_… secret; shown only now")
    previous_valid_until: datetime = Field(
        description="the old secret also signs deliveries until then"
    )


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None = Field(description="the receiver's HTTP status; null = no answer")
    error: str | None
    duration_ms: int
    manual: bool


class DeliveryPublic(BaseModel):
    id: str = Field(description="the webhook-id header the receiver saw")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptPublic]


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None = Field(None, description="pass as cursor for the next page")
