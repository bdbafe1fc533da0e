"""One subject resolution for every service: what each type needs, and the org check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from clashtor_common.events import Subject
from clashtor_common.subjects import (
    SubjectLookups,
    UnusableSubject,
    calls_for_subject,
    records_for_subject,
)

ORG = "org-1"


class Calls:
    """A ``CallStore`` of organization ``ORG`` whose calls say how they were found."""

    org_id = ORG

    async def get(self, call_id: str) -> str | None:
        return call_id if call_id == "c-1" else None

    async def calls_with_participant(
        self, *, fingerprint: str | None, participant_id: str | None
    ) -> list[str]:
        return [f"by-participant:{fingerprint}:{participant_id}"]

    async def calls_uploaded_by(self, user_id: str) -> list[str]:
        return [f"uploaded-by:{user_id}"]

    async def all_calls(self) -> list[str]:
        return ["every-call"]


def lookups() -> SubjectLookups[str]:
    calls = Calls()
    return SubjectLookups(
        calls.get,
        lambda fp, pid: calls.calls_with_participant(fingerprint=fp, participant_id=pid),
        calls.calls_uploaded_by,
        calls.all_calls,
    )


RESOLVERS: dict[str, Callable[[Subject], Awaitable[list[str]]]] = {
    "a service's lookups": lambda subject: records_for_subject(subject, ORG, lookups()),
    "a call repository": lambda subject: calls_for_subject(subject, Calls()),
}


@pytest.fixture(params=list(RESOLVERS))
def resolve(request: pytest.FixtureRequest) -> Callable[[Subject], Awaitable[list[str]]]:
    return RESOLVERS[request.param]


@pytest.mark.parametrize(
    ("subject", "found"),
    [
        (Subject(type="call", id="c-1"), ["c-1"]),
        (Subject(type="call", id="c-unknown"), []),
        (Subject(type="participant", fingerprint="fp"), ["by-participant:fp:None"]),
        (Subject(type="participant", id="p-1"), ["by-participant:None:p-1"]),
        (Subject(type="user", id="u-1"), ["uploaded-by:u-1"]),
        (Subject(type="organization", id=ORG), ["every-call"]),
        (Subject(type="organization"), ["every-call"]),
    ],
)
async def test_each_subject_type_is_looked_up_its_own_way(
    resolve: Callable[[Subject], Awaitable[list[str]]], subject: Subject, found: list[str]
) -> None:
    assert await resolve(subject) == found


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        (Subject(type="call"), "needs the call id"),
        (Subject(type="participant"), "fingerprint or a participant id"),
        (Subject(type="user"), "needs the user id"),
        (Subject(type="organization", id="org-2"), "not the event's organization"),
    ],
)
async def test_an_incomplete_subject_or_another_organization_is_refused(
    resolve: Callable[[Subject], Awaitable[list[str]]], subject: Subject, reason: str
) -> None:
    with pytest.raises(UnusableSubject, match=reason):
        await resolve(subject)
