"""Which of a service's records a data subject (erasure, export, restriction) names.

Every service that holds call data answers the same question for a ``Subject`` from an
event: a call by its id, a participant by email fingerprint or participant id, a user
by the calls they uploaded, an organization by all its calls. The rules (what each
type needs, and that an organization subject must be the event's own organization)
live here once; a service gives only its lookups, already scoped to the event's org.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from clashtor_common.events import Subject

T = TypeVar("T")


class UnusableSubject(ValueError):
    """The subject lacks what is needed to find its data, or is not the event's org's."""


@dataclass(frozen=True)
class SubjectLookups(Generic[T]):
    """A service's ways to find its records (each within the event's organization)."""

    call: Callable[[str], Awaitable[T | None]]
    participant: Callable[[str | None, str | None], Awaitable[list[T]]]
    """Called with (email fingerprint, participant id); at least one is given."""
    uploader: Callable[[str], Awaitable[list[T]]]
    organization: Callable[[], Awaitable[list[T]]]


async def records_for_subject(subject: Subject, org_id: str, lookups: SubjectLookups[T]) -> list[T]:
    """The records ``subject`` names in organization ``org_id``.

    Raises ``UnusableSubject`` for a subject without what its type needs, and for an
    organization subject naming another organization than the event's: an event can
    never reach into another organization's data."""
    if subject.type == "call":
        if not subject.id:
            raise UnusableSubject("a call subject needs the call id")
        record = await lookups.call(subject.id)
        return [record] if record is not None else []
    if subject.type == "participant":
        if not (subject.fingerprint or subject.id):
            raise UnusableSubject(
                "a participant subject needs an email fingerprint or a participant id"
            )
        return await lookups.participant(subject.fingerprint, subject.id)
    if subject.type == "user":
        if not subject.id:
            raise UnusableSubject("a user subject needs the user id")
        return await lookups.uploader(subject.id)
    if subject.type == "organization":
        if subject.id and subject.id != org_id:
            raise UnusableSubject(
                f"organization {subject.id} is not the event's organization; nothing done"
            )
        return await lookups.organization()
    raise UnusableSubject(f"unknown subject type {subject.type!r}")
