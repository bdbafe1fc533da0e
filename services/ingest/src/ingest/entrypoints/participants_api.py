"""``/internal/participants``: rectification of a participant's name or email in one org."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clashtor_common.crypto import fingerprint
from clashtor_common.identity import CurrentIdentity
from ingest.domain.access import RECTIFY_ROLES
from ingest.domain.errors import CallNotFound, Forbidden
from ingest.domain.participants import normalize_email
from ingest.entrypoints.deps import ContextDep
from ingest.service_layer.privacy import rectify_participants

router = APIRouter(tags=["participants"])


class Rectification(BaseModel):
    """Who (``email`` or ``email_fingerprint``) and what changes (``name`` and/or ``new_email``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = None
    email_fingerprint: str | None = Field(None, min_length=64, max_length=64)
    name: str | None = Field(None, max_length=200)
    new_email: str | None = None

    @field_validator("email", "new_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @model_validator(mode="after")
    def _complete(self) -> Rectification:
        if not self.email and not self.email_fingerprint:
            raise ValueError("say who: give email or email_fingerprint")
        if not {"name", "new_email"} & self.model_fields_set:
            raise ValueError("say what changes: give name and/or new_email")
        return self


@router.patch("/participants")
async def rectify(
    body: Rectification, identity: CurrentIdentity, ctx: ContextDep
) -> dict[str, Any]:
    """Correct a participant's name or email on every call of the caller's organization."""
    if identity.role not in RECTIFY_ROLES:
        raise Forbidden("only owners, admins and compliance officers may correct participants")
    target = body.email_fingerprint or fingerprint(ctx.fingerprint_secret, body.email or "")
    fields = {
        "name" if f == "name" else "email" for f in body.model_fields_set & {"name", "new_email"}
    }
    async with ctx.db.session() as session:
        updated = await rectify_participants(
            ctx,
            session,
            identity.org_id,
            target,
            name=body.name,
            email=body.new_email,
            fields=fields,
        )
    if not updated:
        raise CallNotFound("no participant with that email in this organization")
    new_fp = fingerprint(ctx.fingerprint_secret, body.new_email) if body.new_email else None
    return {"updated": updated, "email_fingerprint": new_fp if "email" in fields else target}
