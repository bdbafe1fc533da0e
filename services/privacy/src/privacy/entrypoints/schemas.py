"""Request and response bodies of the internal HTTP API (no email ever leaves in a response)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.contracts import at_least_one_of

SubjectType = Literal["user", "participant", "call", "organization"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubjectIn(_In):
    type: SubjectType
    id: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)


class ExportIn(_In):
    subject: SubjectIn
    include_audio: bool = False


class ErasureIn(_In):
    subject: SubjectIn


class ChangesIn(_In):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320)

    _something_changes = at_least_one_of(
        "name", "email", message="changes must name at least one of: name, email"
    )


class RectificationIn(_In):
    subject: SubjectIn
    changes: ChangesIn


class RestrictionIn(_In):
    subject: SubjectIn
    restricted: bool


class ObjectionIn(_In):
    subject: SubjectIn
    objected: bool


class RetentionIn(_In):
    call_retention_days: int | None = Field(
        ..., ge=1, le=3650, description="delete calls older than this many days; null = keep"
    )


class Accepted(BaseModel):
    id: str


class SubjectOut(BaseModel):
    type: str
    id: str | None


class AcknowledgementOut(BaseModel):
    service: str
    status: str
    at: datetime | None
    details: dict[str, Any]


class RequestOut(BaseModel):
    id: str
    kind: str
    status: str
    subject: SubjectOut
    requested_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    failure: str | None
    acknowledgements: list[AcknowledgementOut]
    download_url: str | None = None
    certificate_digest: str | None = None


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None


class FlagOut(BaseModel):
    id: str
    subject: SubjectOut
    restricted: bool
    objected: bool


class DownloadLink(BaseModel):
    url: str
    expires_at: datetime


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: str
    actor_role: str
    action: str
    request_id: str | None
    subject: SubjectOut | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


class RetentionOut(BaseModel):
    org_id: str
    call_retention_days: int | None
    enforced: bool = Field(
        default=True,
        description="applied daily: calls older than this are erased, restricted ones held",
    )
    updated_at: datetime | None = None
