"""What the webhook dispatcher and the Slack notifier share: rows sent by a poll loop.

Each claims a batch of due rows in one transaction, pushing their ``next_attempt_at`` a
lease ahead (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never take the same
row; a worker killed mid-flight has its rows retried once the lease runs out), sends
outside any transaction, and records each result in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, InitVar, dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from sqlmodel import col

from clashtor_common.db import Database
from clashtor_common.periodic import Periodic
from integrations.domain.retries import RetryPolicy


@dataclass(eq=False)
class LeasedWorker:
    """A poll loop over due rows; a subclass names its loop (``name``), adds what it sends
    with as fields, and says what one round (``run``) does."""

    name: ClassVar[str]
    db: Database
    policy: RetryPolicy
    _: KW_ONLY
    batch: int
    lease: timedelta
    poll_seconds: InitVar[float]
    _loop: Periodic = field(init=False, repr=False)

    def __post_init__(self, poll_seconds: float) -> None:
        self._loop = Periodic(self.name, poll_seconds, self.run)

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run(self) -> int:
        """One round of the loop; how many rows it sent."""
        raise NotImplementedError

    def due_first(self, query: Any, model: Any) -> Any:
        """``query`` (rows of ``model``) limited to one batch, the most overdue first, and
        locked against other replicas."""
        query = query.order_by(col(model.next_attempt_at)).limit(self.batch)
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=model)
        return query
