"""One subject resolution for every service: what each type needs, and the org check."""

from __future__ import annotations

import pytest

from clashtor_common.events import Subject
from clashtor_common.subjects import SubjectLookups, UnusableSubject, records_for_subject

ORG = "org-1"


def lookups() -> SubjectLookups[str]:
    async def call(call_id: str) -> str | None:
        return call_id if call_id == "c-1" else None

    async def participant(fingerprint: str | None, participant_id: str | None) -> list[str]:
        return [f"by-participant:{fingerprint}:{participant_id}"]

    async def uploader(user_id: str) -> list[str]:
        return [f"uploaded-by:{user_id}"]

    async def organization() -> list[str]:
        return ["every-call"]

    return SubjectLookups(call, participant, uploader, organization)


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
    subject: Subject, found: list[str]
) -> None:
    assert await records_for_subject(subject, ORG, lookups()) == found


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
    subject: Subject, reason: str
) -> None:
    with pytest.raises(UnusableSubject, match=reason):
        await records_for_subject(subject, ORG, lookups())
