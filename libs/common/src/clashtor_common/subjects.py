"""Which of a service's records a data subject (erasure, export, restriction) names.

Every service that holds call data answers the same question for a ``Subject`` from an
event: a call by its id, a participant by email fingerprint or participant id, a user
by the calls they uploaded, an organization by all its calls. The rules (what each
type needs, and that an organization subject must be the event's own organization)
live here once; a service gives only its lookups, already scoped to the event's org,
or, where its records are calls, its repository (``CallStore``, ``calls_for_subject``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

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


class CallStore(Protocol[T]):
    """A service's calls of one organization, found the ways a subject names them."""

    @property
    def org_id(self) -> str: ...

    async def get(self, call_id: str) -> T | None: ...

    async def calls_with_participant(
        self, *, fingerprint: str | None, participant_id: str | None
    ) -> list[T]: ...

    async def calls_uploaded_by(self, user_id: str) -> list[T]: ...

    async def all_calls(self) -> list[T]: ...


async def calls_for_subject(subject: Subject, calls: CallStore[T]) -> list[T]:
    """The calls ``subject`` names in the store's organization (``records_for_subject``)."""

    async def by_participant(fingerprint: str | None, participant_id: str | None) -> list[T]:
        return await calls.calls_with_participant(
            fingerprint=fingerprint, participant_id=participant_id
        )

    lookups = SubjectLookups(
        call=calls.get,
        participant=by_participant,
        uploader=calls.calls_uploaded_by,
        organization=calls.all_calls,
    )
    return await records_for_subject(subject, calls.org_id, lookups)
