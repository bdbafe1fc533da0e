"""GET /internal/calls: search, filters, sort and cursor pagination on the real database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from ingest.adapters.tables import CallRecord
from ingest.context import IngestContext

from ..audio_samples import tone_bytes
from .support import IngestClient, new_org


async def _seed(client: IngestClient, ctx: IngestContext, org: str) -> dict[str, str]:
    """Four calls of known title, people, rep, length, status and upload day."""
    specs = [
        ("Discovery with Acme", "Ada Lovelace", "rep-a", 1.0, "2026-11-01T10:00:00", "uploaded"),
        ("Pricing follow-up", "Bob Byers", "rep-a", 2.0, "2026-11-10T10:00:00", "scored"),
        ("Renewal", "Acme Buyer", "rep-b", 3.0, "2026-11-20T10:00:00", "scored"),
        ("Kickoff", "Cy Young", "rep-b", 1.5, "2026-11-30T23:30:00", "failed"),
    ]
    ids: dict[str, str] = {}
    for n, (title, person, rep, seconds, created, status) in enumerate(specs):
        response = await client.upload(
            org,
            tone_bytes(seconds, freq=500 + 37 * n),
            title=title,
            participants=[{"name": person, "email": f"p{n}@buyer.test", "role": "customer"}],
            user=rep,
            role="rep",
        )
        assert response.status_code == 202, response.text
        ids[title] = response.json()["id"]
        async with ctx.db.session() as session:
            await session.execute(
                update(CallRecord)
                .where(CallRecord.id == ids[title])
                .values(
                    created_at=datetime.fromisoformat(created).replace(tzinfo=UTC), status=status
                )
            )
    return ids


async def _titles(client: IngestClient, org: str, **params: Any) -> list[str]:
    """Every page, following next_cursor, as titles in the order served."""
    titles: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = await client.http.get("/internal/calls", params=query, headers=client.headers(org))
        assert page.status_code == 200, page.text
        titles += [c["title"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return titles


NEWEST = ["Kickoff", "Renewal", "Pricing follow-up", "Discovery with Acme"]
LONGEST = ["Renewal", "Pricing follow-up", "Kickoff", "Discovery with Acme"]
LISTED: list[tuple[str, dict[str, Any], list[str]]] = [
    # search: title or participant, any case; pages of one still find every match, in order
    ("title", {"q": "acme"}, ["Renewal", "Discovery with Acme"]),
    ("participant name", {"q": "BOB"}, ["Pricing follow-up"]),
    ("participant email", {"q": "p3@buyer"}, ["Kickoff"]),
    ("no match", {"q": "nobody"}, []),
    ("search by pages of one", {"q": "acme", "limit": 1}, ["Renewal", "Discovery with Acme"]),
    # filters
    ("status", {"status": "scored"}, ["Renewal", "Pricing follow-up"]),
    ("rep", {"rep": "rep-a"}, ["Pricing follow-up", "Discovery with Acme"]),
    # a bare "to" date includes that whole day (the 23:30 call)
    ("date range", {"from": "2026-11-10", "to": "2026-11-30"}, NEWEST[:3]),
    ("until a date", {"to": "2026-11-09"}, ["Discovery with Acme"]),
    ("filters combined", {"status": "scored", "rep": "rep-b", "q": "renew"}, ["Renewal"]),
    ("participant email exactly", {"participant": "p1@buyer.test"}, ["Pricing follow-up"]),
    ("participant email any case", {"participant": " P2@Buyer.Test "}, ["Renewal"]),
    ("participant email not a substring", {"participant": "p1@buyer"}, []),
    # every sort pages through every call once
    ("newest", {"limit": 1}, NEWEST),
    ("oldest", {"sort": "oldest", "limit": 3}, NEWEST[::-1]),
    ("longest", {"sort": "longest", "limit": 1}, LONGEST),
    ("shortest", {"sort": "shortest", "limit": 2}, LONGEST[::-1]),
]


@pytest.fixture(scope="module")
async def seeded(client: IngestClient, ctx: IngestContext) -> str:
    """An organization with the four calls of ``_seed`` (the tests only read them)."""
    org = new_org()
    await _seed(client, ctx, org)
    return org


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in LISTED], ids=[c[0] for c in LISTED]
)
async def test_search_filters_and_sorts_list_exactly_the_matching_calls_in_order(
    client: IngestClient, seeded: str, params: dict[str, Any], expected: list[str]
) -> None:
    assert await _titles(client, seeded, **params) == expected


async def test_a_participant_filter_never_reaches_another_organization(
    client: IngestClient, seeded: str
) -> None:
    assert await _titles(client, new_org(), participant="p1@buyer.test") == []


async def test_bad_list_parameters_answer_422_with_the_reason(
    client: IngestClient, seeded: str
) -> None:
    org = seeded
    first = await client.http.get(
        "/internal/calls", params={"limit": 1}, headers=client.headers(org)
    )
    cursor = first.json()["next_cursor"]
    for params, field in (
        ({"status": "done"}, "status"),
        ({"sort": "random"}, "sort"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"sort": "longest", "cursor": cursor}, "cursor"),  # a cursor of another sort
    ):
        response = await client.http.get(
            "/internal/calls", params=params, headers=client.headers(org)
        )
        assert response.status_code == 422, (params, response.text)
        error = response.json()["error"]
        assert error["message"], params
        assert [(e["field"], e["location"]) for e in error["errors"]] == [(field, "query")], params
    for forged in (cursor, "%%%", "WyJuZXdlc3QiXQ"):
        sort = "longest" if forged == cursor else "newest"
        response = await client.http.get(
            "/internal/calls",
            params={"sort": sort, "cursor": forged},
            headers=client.headers(org),
        )
        assert response.status_code == 422, response.text
        fields = response.json()["error"]["errors"]
        assert [(e["field"], e["location"], e["type"]) for e in fields] == [
            ("cursor", "query", "invalid_cursor")
        ], forged


async def test_filters_never_widen_what_a_rep_may_see(client: IngestClient, seeded: str) -> None:
    org = seeded
    page = await client.http.get(
        "/internal/calls",
        params={"rep": "rep-b"},
        headers=client.headers(org, user="rep-a", role="rep"),
    )
    assert page.status_code == 200
    assert page.json()["items"] == []
