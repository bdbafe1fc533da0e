"""Whom a request is about: validation of a subject and the one rule for emails.

An email is turned into a keyed fingerprint the moment it arrives
(``clashtor_common.crypto.fingerprint``); the email itself is never stored, logged or
emitted. Services match the fingerprint against the fingerprints they keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypedDict

from clashtor_common.crypto import fingerprint
from clashtor_common.events import Subject

SUBJECT_TYPES = ("user", "participant", "call", "organization")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$")


class InvalidSubject(ValueError):
    """The subject cannot name anyone: missing id, email where none is allowed, bad format."""


class ForeignSubject(LookupError):
    """The subject belongs to another organization (answered as not found)."""


class SubjectColumns(TypedDict):
    """The columns naming the subject of a request, tombstone or processing-flags row."""

    subject_type: str
    subject_id: str | None
    subject_fingerprint: str | None
    subject_key: str


@dataclass(frozen=True)
class SubjectRef:
    """A validated subject: type plus an id and/or an email fingerprint, never the email."""

    type: str
    id: str | None = None
    fingerprint: str | None = None

    @property
    def key(self) -> str:
        """One stable lookup key per subject: the id when known, else the fingerprint."""
        return f"id:{self.id}" if self.id else f"fp:{self.fingerprint}"

    def columns(self) -> SubjectColumns:
        """This subject as the columns of a row about it."""
        return {
            "subject_type": self.type,
            "subject_id": self.id,
            "subject_fingerprint": self.fingerprint,
            "subject_key": self.key,
        }

    def to_event(self) -> Subject:
        return Subject(type=self.type, id=self.id, fingerprint=self.fingerprint)  # type: ignore[arg-type]

    def public(self) -> dict[str, str | None]:
        """What an API answer may show: the type and the id, never an email or its hash."""
        return {"type": self.type, "id": self.id}


def is_email(value: str) -> bool:
    return len(value) <= 320 and bool(_EMAIL.match(value.strip()))


@dataclass(frozen=True)
class SubjectInput:
    """A subject as a client sent it, not yet validated: a type, an id and/or an email."""

    type: str
    id: str | None = None
    email: str | None = None


def normalize_subject(raw: SubjectInput, *, org_id: str, fingerprint_secret: str) -> SubjectRef:
    """Validate a subject as a client sent it; the email leaves this function hashed."""
    if raw.type not in SUBJECT_TYPES:
        raise InvalidSubject(f"subject type must be one of {', '.join(SUBJECT_TYPES)}")
    ident = raw.id.strip() if raw.id else None
    if ident is not None and not _ID.match(ident):
        raise InvalidSubject(
            "subject id must be 1-200 characters of letters, digits and . _ : @ + -"
        )
    fp: str | None = None
    if raw.email is not None:
        if raw.type in ("call", "organization"):
            raise InvalidSubject(f"a {raw.type} subject is named by its id, not an email")
        if not is_email(raw.email):
            raise InvalidSubject("subject email is not a valid email address")
        fp = fingerprint(fingerprint_secret, raw.email)
    if raw.type == "organization":
        ident = ident or org_id
        if ident != org_id:
            raise ForeignSubject(ident)
    if raw.type == "call" and not ident:
        raise InvalidSubject("a call subject needs the call id")
    if ident is None and fp is None:
        raise InvalidSubject(f"a {raw.type} subject needs an id or an email")
    return SubjectRef(type=raw.type, id=ident, fingerprint=fp)
