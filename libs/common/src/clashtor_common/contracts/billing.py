"""Billing's usage and Stripe-hosted pages (``/v1/billing`` → billing's ``/internal/billing``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class UsageOut(BaseModel):
    plan: str
    status: str
    period_start: str
    period_end: str
    minutes_used: int
    minutes_included: int
    minutes_overage: int
    minutes_unreported: int = Field(description="used but not yet reported to Stripe")
    calls: int


class HostedPageOut(BaseModel):
    id: str | None
    url: str = Field(description="the Stripe-hosted page to send the user to")
