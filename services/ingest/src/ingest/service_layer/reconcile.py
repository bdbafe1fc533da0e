"""The orphan sweep: audio objects in S3 that no call row points to are deleted.

An upload writes the encrypted audio to S3 first and commits the call row after; when
the process dies between the two (or the commit fails and S3 is down for the clean-up),
the object is left with no row. No one would ever read it, yet it holds a recording:
erasure would only find it through an organization-wide prefix delete. The sweep
removes every audio object older than a grace period whose key no call row holds, and
aborts multipart uploads started before it (parts of an upload that died mid-way).

The grace period is what keeps an upload in flight safe: its object is younger than
the grace, or its row is committed by the time the sweep looks. Rows are read after
the listing, so a row committed meanwhile is seen. Export parts and other objects that
are not call audio are left alone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ingest.adapters.calls_repo import known_audio_keys
from ingest.context import IngestContext

log = logging.getLogger(__name__)

#: ``audio_key(org, call)`` in ``service_layer.uploads`` (``audio.enc``), and the
#: ``audio.<format>.enc`` keys written before uploads streamed to S3.
AUDIO_KEY = re.compile(r"^orgs/[^/]+/calls/[^/]+/audio(\.[a-z0-9]+)?\.enc$")
#: Keys compared against the database per query.
BATCH = 500


@dataclass
class SweepReport:
    checked: int = 0
    deleted: list[str] = field(default_factory=list)
    aborted_uploads: int = 0


async def sweep_orphans(
    ctx: IngestContext, *, grace: timedelta, now: datetime | None = None
) -> SweepReport:
    """Delete call audio older than ``grace`` that no call row holds; abort stale uploads."""
    cutoff = (now or datetime.now(UTC)) - grace
    store = ctx.objects.store
    await store.ensure_bucket()
    old = [
        o.key
        for o in await store.list_objects("orgs/")
        if o.modified < cutoff and AUDIO_KEY.match(o.key)
    ]
    report = SweepReport(checked=len(old))
    for start in range(0, len(old), BATCH):
        batch = old[start : start + BATCH]
        async with ctx.db.session() as session:
            known = await known_audio_keys(session, batch)
        orphans = [key for key in batch if key not in known]
        await store.delete_many(orphans)
        report.deleted.extend(orphans)
    for upload in await store.pending_uploads("orgs/"):
        if upload.initiated < cutoff:
            await store.abort_upload(upload)
            report.aborted_uploads += 1
    if report.deleted or report.aborted_uploads:
        log.warning(
            "orphan sweep: deleted %d audio object(s) with no call row, aborted %d upload(s)",
            len(report.deleted),
            report.aborted_uploads,
        )
    return report
