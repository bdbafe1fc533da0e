"""Subjects are validated and emails hashed at once; access follows role and self rules."""

from __future__ import annotations

import pytest

from clashtor_common.crypto import fingerprint
from clashtor_common.identity import Identity
from privacy.domain.access import Forbidden, authorize_request, may_read_request
from privacy.domain.subjects import (
    ForeignSubject,
    InvalidSubject,
    SubjectInput,
    SubjectRef,
    normalize_subject,
)

SECRET = "test-fingerprint-secret"


def subject(type: str, id: str | None = None, email: str | None = None) -> SubjectRef:
    return normalize_subject(
        SubjectInput(type, id, email), org_id="org-1", fingerprint_secret=SECRET
    )


def who(role: str, user: str = "u-1") -> Identity:
    return Identity(org_id="org-1", user_id=user, role=role)  # type: ignore[arg-type]


def test_an_email_leaves_as_a_keyed_fingerprint_only() -> None:
    ref = subject("participant", email="  Pat@Example.COM ")
    assert ref.fingerprint == fingerprint(SECRET, "pat@example.com")
    assert ref.id is None
    assert "example" not in repr(ref).lower()
    assert ref.public() == {"type": "participant", "id": None}
    assert ref.key == f"fp:{ref.fingerprint}"


def test_the_organization_subject_defaults_to_the_callers_org_and_refuses_others() -> None:
    assert subject("organization") == SubjectRef(type="organization", id="org-1")
    with pytest.raises(ForeignSubject):
        subject("organization", id="org-2")


@pytest.mark.parametrize(
    ("type", "id", "email"),
    [
        ("call", None, None),
        ("call", None, "a@b.co"),
        ("organization", None, "a@b.co"),
        ("user", None, None),
        ("participant", None, "not-an-email"),
        ("user", "has spaces", None),
        ("user", "x" * 201, None),
        ("robot", "r-1", None),
    ],
)
def test_a_subject_that_names_no_one_is_refused(
    type: str, id: str | None, email: str | None
) -> None:
    with pytest.raises(InvalidSubject):
        subject(type, id, email)


@pytest.mark.parametrize("role", ["owner", "admin", "compliance", "system"])
def test_privileged_roles_act_for_anyone_in_their_org(role: str) -> None:
    for kind in ("export", "erasure", "restriction", "objection", "rectification"):
        authorize_request(who(role), kind, subject("participant", email="p@x.io"))
        authorize_request(who(role), kind, subject("call", "c-1"))


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_other_roles_act_only_for_themselves(role: str) -> None:
    me = who(role, "u-1")
    authorize_request(me, "erasure", subject("user", "u-1"))
    authorize_request(me, "export", subject("user", "u-1"))
    for other in (subject("user", "u-2"), subject("user", email="u1@x.io"), subject("call", "c")):
        with pytest.raises(Forbidden):
            authorize_request(me, "erasure", other)


def test_only_the_owner_erases_the_whole_organization() -> None:
    org = subject("organization")
    authorize_request(who("owner"), "erasure", org)
    for role in ("admin", "compliance", "system", "rep"):
        with pytest.raises(Forbidden):
            authorize_request(who(role), "erasure", org)
    authorize_request(who("admin"), "export", org)


def test_a_user_reads_requests_they_made_or_that_are_about_them() -> None:
    rep = who("rep", "u-1")
    about_me = subject("user", "u-1")
    about_other = subject("user", "u-2")
    assert may_read_request(rep, requested_by="admin-9", subject=about_me)
    assert may_read_request(rep, requested_by="u-1", subject=about_other)
    assert not may_read_request(rep, requested_by="admin-9", subject=about_other)
    assert may_read_request(who("compliance"), requested_by="admin-9", subject=about_other)
