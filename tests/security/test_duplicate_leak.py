"""Hole 6: a duplicate upload must not reveal a call the uploader may not see.

Before the fix, a rep uploading the same bytes as another rep's call got that call back
(title, participants with their emails, uploader id), though GET on it answered 404.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clashtor_callgen import generate_call, short_script

from ..e2e.client import Clashtor
from ..e2e.stack import Stack
from .members import member

SECRET_PEOPLE = [
    {"name": "Rita Rep", "email": "rita@seller.example", "role": "rep"},
    {"name": "Vera Secret", "email": "vera.secret@bigdeal.example", "role": "customer"},
]


@pytest.fixture(scope="module")
def org(api: Clashtor, stack: Stack) -> Iterator[tuple[Clashtor, Clashtor, Clashtor]]:
    """The owner and two reps of one organization; the reps cannot see each other's calls."""
    rep_a, rep_b = member(api, stack.gateway, "rep"), member(api, stack.gateway, "rep")
    yield api, rep_a, rep_b
    rep_a.close()
    rep_b.close()


def test_a_rep_uploading_another_reps_bytes_gets_a_new_call_not_theirs(
    org: tuple[Clashtor, Clashtor, Clashtor],
) -> None:
    owner, rep_a, rep_b = org
    recording = generate_call(short_script()[:2], layout="stereo", fmt="wav").path
    original = rep_a.upload(recording, title="Board deal 2027", participants=SECRET_PEOPLE)
    assert rep_b.call(original["id"]).status_code == 404, "rep B may not see rep A's call"

    with recording.open("rb") as fh:
        attempt = rep_b.http.post(
            "/v1/calls", headers=rep_b.bearer, files={"file": ("same.wav", fh)}
        )

    assert attempt.status_code == 202, "answered exactly as a new upload would be"
    assert attempt.json()["id"] != original["id"]
    for secret in ("Board deal 2027", "vera.secret@bigdeal.example", "Vera Secret", "Rita Rep"):
        assert secret not in attempt.text
    own = rep_b.call(attempt.json()["id"])
    assert own.status_code == 200 and own.json()["participants"] == []

    # Duplicates of calls the uploader may see still answer with the existing call.
    with recording.open("rb") as fh:
        again = rep_b.http.post("/v1/calls", headers=rep_b.bearer, files={"file": ("b.wav", fh)})
    assert (again.status_code, again.json()["id"]) == (200, attempt.json()["id"])
    with recording.open("rb") as fh:
        by_owner = owner.http.post("/v1/calls", headers=owner.bearer, files={"file": ("o.wav", fh)})
    assert (by_owner.status_code, by_owner.json()["id"]) == (200, original["id"])
