"""Participants as the uploader describes them: the ``participants`` JSON form field."""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clashtor_common.upload_form import (  # the documented limits
    EMAIL_MAX,
    PARTICIPANT_NAME_MAX_CHARS,
)
from ingest.domain.errors import InvalidParticipants

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > EMAIL_MAX:
        raise ValueError(f"an email address has at most {EMAIL_MAX} characters, got {len(email)}")
    if not _EMAIL.match(email):
        raise ValueError(f"{value!r} is not an email address")
    return email


class ParticipantIn(BaseModel):
    """One participant: a name and/or an email, and which side of the call they are on."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, max_length=PARTICIPANT_NAME_MAX_CHARS)
    email: str | None = None
    role: Literal["rep", "customer"]

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _someone(self) -> ParticipantIn:
        if not self.name and not self.email:
            raise ValueError("a participant needs a name or an email")
        return self


def parse_participants(raw: str | None, *, max_count: int = 50) -> list[ParticipantIn]:
    """Parse the form field; InvalidParticipants (422) says what is wrong and where."""
    if raw is None or not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidParticipants(
            f"participants is not valid JSON: {exc.msg} at {exc.pos}"
        ) from exc
    except RecursionError as exc:  # "[[[[…": a few KB past the parser's depth
        raise InvalidParticipants("participants is nested too deep to be a list of people") from exc
    if not isinstance(data, list):
        raise InvalidParticipants(
            'participants must be a JSON array of {"name", "email", "role"} objects'
        )
    if len(data) > max_count:
        raise InvalidParticipants(f"at most {max_count} participants, got {len(data)}")
    parsed: list[ParticipantIn] = []
    for index, item in enumerate(data):
        try:
            parsed.append(ParticipantIn.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            field = f"participants[{index}]" + (f".{where}" if where else "")
            raise InvalidParticipants(f"{field}: {first.get('msg')}") from exc
    return parsed
