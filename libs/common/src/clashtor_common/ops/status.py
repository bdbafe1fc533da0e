"""``clashtor-ops status``: per service, how far behind it is, what it dead-lettered and
what it has not published yet.

Lag comes from the broker (the service's consumer group's committed offsets against
the partitions' ends), dead letters from the ``*.dlq`` topics (counted by the
``x-dlq-consumer`` header, so one DLQ topic shared by several consumers is split
correctly), the outbox backlog from the service's own database when its address is
known (``None`` when not: the broker cannot tell).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from clashtor_common.ops.replay import consumer_lag, list_topics, read_topics


@dataclass
class ServiceStatus:
    service: str
    lag: int
    #: Partitions the group has committed on; 0 means the service never consumed.
    partitions: int
    dead_letters: int
    outbox_backlog: int | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def dead_letter_counts(bootstrap: str) -> Counter[str]:
    """Dead letters per consumer group, across every ``*.dlq`` topic."""
    counts: Counter[str] = Counter()
    dlqs = [t for t in await list_topics(bootstrap) if t.endswith(".dlq")]
    for records in (await read_topics(bootstrap, dlqs, timeout_ms=500)).values():
        counts.update(r.headers.get("x-dlq-consumer", "?") for r in records)
    return counts


async def outbox_backlog(database_url: str) -> int | None:
    from clashtor_common.db import Database
    from clashtor_common.outbox import pending_count

    db = Database(database_url)
    try:
        return await pending_count(db)
    finally:
        await db.dispose()


async def service_status(
    bootstrap: str, services: Sequence[str], databases: Mapping[str, str]
) -> list[ServiceStatus]:
    """One row per service (its consumer group is its name)."""
    lags, dead = await asyncio.gather(consumer_lag(bootstrap), dead_letter_counts(bootstrap))
    rows = []
    for service in services:
        mine = [row for row in lags if row.group == service]
        url = databases.get(service)
        rows.append(
            ServiceStatus(
                service=service,
                lag=sum(row.lag for row in mine),
                partitions=len(mine),
                dead_letters=dead.get(service, 0),
                outbox_backlog=await outbox_backlog(url) if url else None,
            )
        )
    return rows
