"""The erasure fence of Zoom imports: once integrations has answered a subject's
erasure, no import of theirs hands a recording to ingest any more.

A worker claims an import with a lease (``next_attempt_at``), reads Zoom's participants
and downloads the file outside any transaction, then passes the fence (``hand_over``):
in one short transaction, under the row's lock, the import must still be pending under
this worker's lease; only then does it become ``uploading`` (with a fresh lease) and go
to ingest. Its outcome is recorded only while it is still that upload (``still_ours``).

An erasure (``erase_imports``), under the same row locks, in its own transaction:

- turns each import of the subject that is not being uploaded into a tombstone
  (``erased``: its id, organization and Zoom file id only), so a worker still holding
  the claim (downloading, say) finds it at the fence and uploads nothing, and Zoom
  announcing the same recording again imports nothing;
- while an import of the subject is being uploaded under a live lease, raises
  ``ImportInFlight`` (transient: the consumer rolls back and tries the erasure again),
  so integrations answers only once that upload's outcome is known, and erases the
  import it became.

An upload whose worker died (its lease over) is not waited for: if it reached ingest,
the call is the host's upload, which ingest's erasure of the host removes (and ingest
refuses uploads by a host it has erased).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.db import Database
from integrations.adapters.tables import ZoomImport
from integrations.domain.zoom import ERASED, UPLOADING
from integrations.service_layer import fence


class ImportInFlight(fence.SendingNow):
    """An import of the subject is being uploaded to ingest: the erasure waits for it."""


async def locked_import(session: AsyncSession, import_id: str) -> ZoomImport | None:
    return await fence.locked(session, ZoomImport, import_id)


still_ours = fence.still_ours


async def hand_over(
    db: Database, import_id: str, lease: datetime, renew: timedelta
) -> datetime | None:
    """Pass the fence: the import becomes ``uploading`` under a lease renewed for the
    upload (returned), or None if it was erased or is not this worker's any more."""
    return await fence.hand_over(db, ZoomImport, import_id, lease, renew, UPLOADING)


def tombstone(item: ZoomImport, now: datetime) -> None:
    """Keep only the import's id, organization and Zoom file id (so the recording
    announced again is recognised, and imported no more)."""
    item.status, item.updated_at, item.next_attempt_at = ERASED, now, None
    item.host_user_id, item.zoom_host_id, item.meeting_uuid = None, "", ""
    item.download_url_enc, item.download_token_enc, item.topic_enc = b"", None, None
    item.call_id, item.last_error, item.waits_for_reconnect = None, None, False


async def erase_imports(
    session: AsyncSession, org_id: str, *where: Any, delete_rows: bool = False
) -> int:
    """Erase the organization's imports matching ``where``: tombstones, or deleted with
    ``delete_rows``; how many. Raises ``ImportInFlight`` (nothing changed) while one of
    them is being uploaded."""
    now = datetime.now(UTC)
    query = select(ZoomImport).where(col(ZoomImport.org_id) == org_id, *where)
    if not delete_rows:
        query = query.where(col(ZoomImport.status) != ERASED)
    rows = list((await session.execute(query.with_for_update())).scalars())
    fence.refuse_while_sending(rows, UPLOADING, "zoom import(s)", ImportInFlight)
    for item in rows:
        if delete_rows:
            await session.delete(item)
        else:
            tombstone(item, now)
            session.add(item)
    return len(rows)
