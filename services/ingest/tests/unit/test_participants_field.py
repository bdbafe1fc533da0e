"""The ``participants`` form field: what is accepted and how a mistake is reported."""

from __future__ import annotations

import json

import pytest

from clashtor_common.errors import domain_status
from ingest.domain.errors import InvalidField, InvalidParticipants
from ingest.domain.participants import parse_participants
from ingest.service_layer.uploads import clean_title
from ingest.settings import IngestSettings


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
        ("[" * 5000, "nested too deep"),
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
    assert domain_status(refused.value) == 422
    assert says in refused.value.message


def test_too_many_participants_are_refused() -> None:
    raw = json.dumps([{"name": f"p{i}", "role": "customer"} for i in range(4)])
    with pytest.raises(InvalidParticipants, match="at most 3"):
        parse_participants(raw, max_count=3)


def test_the_limits_are_the_ones_the_gateway_documents() -> None:
    """title ≤ 500 (settings), ≤ 50 participants, name ≤ 200, email ≤ 254 characters."""
    settings = IngestSettings.model_construct()
    assert (settings.title_max_chars, settings.participants_max_count) == (500, 50)
    at_limit = [{"name": "n" * 200, "email": "e" * 242 + "@example.com", "role": "rep"}]
    assert parse_participants(json.dumps(at_limit * 50))[0].name == "n" * 200
    with pytest.raises(InvalidParticipants, match="at most 50 participants, got 51"):
        parse_participants(json.dumps(at_limit * 51))
    with pytest.raises(InvalidParticipants, match=r"participants\[0\]\.name: .*200"):
        parse_participants(json.dumps([{"name": "n" * 201, "role": "rep"}]))
    with pytest.raises(InvalidParticipants, match=r"participants\[0\]\.email: .*at most 254"):
        parse_participants(json.dumps([{"email": "e" * 243 + "@example.com", "role": "rep"}]))


def test_the_field_size_cap_leaves_room_for_the_documented_limits() -> None:
    """50 participants with 200-character names (outside the BMP, \\u-escaped as JSON
    encoders do by default) and 254-character emails still fit the byte cap."""
    person = {"name": "\U0001f600" * 200, "email": "e" * 242 + "@example.com", "role": "customer"}
    raw = json.dumps([person] * 50)
    assert len(raw.encode()) <= IngestSettings.model_construct().participants_max_bytes
    assert len(parse_participants(raw)) == 50


def test_a_title_over_the_limit_says_how_long_it_may_be() -> None:
    assert clean_title("t" * 500, 500) == "t" * 500
    assert clean_title("  ", 500) is None
    with pytest.raises(InvalidField) as refused:
        clean_title("t" * 501, 500)
    assert domain_status(refused.value) == 422
    assert refused.value.message == "title is 501 characters; at most 500 are allowed"
