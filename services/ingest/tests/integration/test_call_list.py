"""GET /internal/calls: search, filters, sort and cursor pagination on the real database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


async def test_search_matches_title_or_participant_case_insensitively(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    await _seed(client, ctx, org)
    assert await _titles(client, org, q="acme") == ["Renewal", "Discovery with Acme"]
    assert await _titles(client, org, q="BOB") == ["Pricing follow-up"]
    assert await _titles(client, org, q="p3@buyer") == ["Kickoff"]
    assert await _titles(client, org, q="nobody") == []
    # pages of one still find every match, in order
    assert await _titles(client, org, q="acme", limit=1) == ["Renewal", "Discovery with Acme"]


async def test_filters_by_status_rep_and_date_range(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    await _seed(client, ctx, org)
    assert await _titles(client, org, status="scored") == ["Renewal", "Pricing follow-up"]
    assert await _titles(client, org, rep="rep-a") == ["Pricing follow-up", "Discovery with Acme"]
    # a bare "to" date includes that whole day (the 23:30 call)
    assert await _titles(client, org, **{"from": "2026-11-10", "to": "2026-11-30"}) == [
        "Kickoff",
        "Renewal",
        "Pricing follow-up",
    ]
    assert await _titles(client, org, **{"to": "2026-11-09"}) == ["Discovery with Acme"]
    assert await _titles(client, org, status="scored", rep="rep-b", q="renew") == ["Renewal"]


async def test_every_sort_pages_through_every_call_once(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    await _seed(client, ctx, org)
    newest = ["Kickoff", "Renewal", "Pricing follow-up", "Discovery with Acme"]
    longest = ["Renewal", "Pricing follow-up", "Kickoff", "Discovery with Acme"]
    assert await _titles(client, org, limit=1) == newest
    assert await _titles(client, org, sort="oldest", limit=3) == newest[::-1]
    assert await _titles(client, org, sort="longest", limit=1) == longest
    assert await _titles(client, org, sort="shortest", limit=2) == longest[::-1]


async def test_bad_list_parameters_answer_422_with_the_reason(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    await _seed(client, ctx, org)
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


async def test_filters_never_widen_what_a_rep_may_see(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    await _seed(client, ctx, org)
    page = await client.http.get(
        "/internal/calls",
        params={"rep": "rep-b"},
        headers=client.headers(org, user="rep-a", role="rep"),
    )
    assert page.status_code == 200
    assert page.json()["items"] == []


async def test_filters_by_participant_email_any_case(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    await _seed(client, ctx, org)
    assert await _titles(client, org, participant="p1@buyer.test") == ["Pricing follow-up"]
    assert await _titles(client, org, participant=" P2@Buyer.Test ") == ["Renewal"]
    assert await _titles(client, org, participant="p1@buyer") == []  # exact, not a substring
    assert await _titles(client, new_org(), participant="p1@buyer.test") == []
