"""Zoom import (``/v1/integrations/zoom`` → integrations' ``/internal/zoom``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from clashtor_common.contracts import InModel
from clashtor_common.pagination import Page


class ZoomServerToServerIn(InModel):
    """The credentials of the Server-to-Server OAuth app an admin made inside their own
    Zoom account (Zoom's App Marketplace → the app's page). Checked with Zoom before
    anything is kept; the secrets are stored encrypted and never answered."""

    account_id: str = Field(min_length=1, max_length=100, description="the app's Account ID")
    client_id: str = Field(min_length=1, max_length=200, description="the app's Client ID")
    client_secret: str = Field(min_length=1, max_length=500, description="the app's Client Secret")
    webhook_secret_token: str = Field(
        min_length=1,
        max_length=500,
        description="the Secret Token of the app's event subscription (signs its notifications)",
    )


class ZoomStatus(BaseModel):
    connected: bool
    kind: str | None = Field(None, description="oauth or server_to_server")
    account_id: str | None = Field(None, description="Zoom's account id")
    connected_at: datetime | None = None
    last_import_at: datetime | None = None
    last_failure: str | None = Field(None, description="what went wrong last, for an admin")
    last_failure_at: datetime | None = None
    needs_reauthorization: bool = Field(
        False,
        description="Zoom refused to renew the access token (revoked, app removed): nothing "
        "is imported until an owner or admin connects Zoom again",
    )
    client_id: str | None = Field(None, description="Server-to-Server: the app's Client ID")
    webhook_url: str | None = Field(
        None,
        description="Server-to-Server: where the app's event subscription must post "
        "(its Event notification endpoint URL)",
    )


class ZoomImport(BaseModel):
    """One recording Zoom announced, and what became of it."""

    id: str
    title: str | None = Field(description="the meeting's topic")
    file_type: str = Field(description="M4A (audio only) or MP4")
    status: Literal["pending", "imported", "failed"]
    attempts: int
    call_id: str | None = Field(description="the call it became, once imported")
    error: str | None = Field(description="why it failed (or why it is being retried)")
    created_at: datetime
    updated_at: datetime


class ZoomImportList(Page[ZoomImport]):
    pass
