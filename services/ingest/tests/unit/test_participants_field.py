"""The ``participants`` form field: what is accepted and how a mistake is reported."""

from __future__ import annotations

import json

import pytest

from ingest.domain.errors import InvalidParticipants
from ingest.domain.participants import parse_participants


def test_participants_are_parsed_and_emails_normalized() -> None:
    raw = json.dumps(
        [
            {"name": " Dana Rep ", "email": "Dana@Example.COM", "role": "rep"},
            {"name": "Chris", "role": "customer"},
        ]
    )
    people = parse_participants(raw)
    assert [(p.name, p.email, p.role) for p in people] == [
        ("Dana Rep", "dana@example.com", "rep"),
        ("Chris", None, "customer"),
    ]


@pytest.mark.parametrize("raw", [None, "", "   ", "[]"])
def test_no_participants_is_fine(raw: str | None) -> None:
    assert parse_participants(raw) == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[{", "not valid JSON"),
        ('{"name": "x"}', "JSON array"),
        ('[{"name": "x", "role": "boss"}]', "participants[0].role"),
        ('[{"name": "x", "email": "nope", "role": "rep"}]', "not an email"),
        ('[{"role": "rep"}]', "name or an email"),
        ('[{"name": "x", "role": "rep", "phone": "1"}]', "participants[0].phone"),
    ],
)
def test_malformed_participants_are_refused_with_the_reason(raw: str, says: str) -> None:
    with pytest.raises(InvalidParticipants) as refused:
        parse_participants(raw)
    assert refused.value.status == 422
    assert says in refused.value.message


def test_too_many_participants_are_refused() -> None:
    raw = json.dumps([{"name": f"p{i}", "role": "customer"} for i in range(4)])
    with pytest.raises(InvalidParticipants, match="at most 3"):
        parse_participants(raw, max_count=3)
