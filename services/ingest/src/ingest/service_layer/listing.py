"""The calls list: visibility, filters and sort in SQL, text search after decrypting."""

from __future__ import annotations

from typing import Any

from clashtor_common.db import as_utc
from clashtor_common.identity import Identity
from ingest.adapters.calls_repo import CallRepository
from ingest.adapters.tables import CallRecord
from ingest.context import IngestContext
from ingest.domain.access import visible_uploaders
from ingest.domain.listing import SORTS, CallQuery, decode_cursor, encode_cursor, matches_text
from ingest.service_layer.personal import key_ids
from ingest.service_layer.views import call_view

SEARCH_BATCH = 200
"""Rows decrypted per round trip while a text search looks for a page of matches."""


def _sort_key(query: CallQuery, call: CallRecord) -> Any:
    return as_utc(call.created_at) if SORTS[query.sort][0] == "created_at" else call.duration


async def list_calls(
    ctx: IngestContext, identity: Identity, query: CallQuery, *, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of the calls the caller may see, and the cursor of the next (or None).

    Without a text search one query of ``limit + 1`` rows decides whether there is more.
    With one, batches are read in sort order and filtered after decrypting until a page
    and one extra match are found or the rows run out."""
    after = decode_cursor(query.sort, cursor) if cursor else None
    size = SEARCH_BATCH if query.text else limit + 1
    found: list[dict[str, Any]] = []
    rows: list[CallRecord] = []
    async with ctx.db.session() as session:
        repo = CallRepository(session, identity.org_id)
        while len(found) <= limit:
            batch = await repo.batch(
                uploaders=visible_uploaders(identity), query=query, after=after, size=size
            )
            people = await repo.participants([c.id for c in batch])
            everyone = [p for rows in people.values() for p in rows]
            sealer = await ctx.keys.sealer(session, key_ids([c.id for c in batch], everyone))
            for call in batch:
                view = call_view(sealer, call, people[call.id])
                if query.text and not matches_text(query.text, view["title"], view["participants"]):
                    continue
                found.append(view)
                rows.append(call)
                if len(found) > limit:
                    break
            if len(batch) < size or not batch:
                break
            after = (_sort_key(query, batch[-1]), batch[-1].id)
    more = len(found) > limit
    last = rows[limit - 1] if more else None
    return {
        "items": found[:limit],
        "next_cursor": encode_cursor(query.sort, _sort_key(query, last), last.id) if last else None,
    }
