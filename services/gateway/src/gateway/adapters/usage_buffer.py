"""Usage rows and API key uses, kept in memory and written in batches (``UsageRecorder``).

Nothing is written on a request's path: the rows (see ``service_layer.usage``) and the
API keys used (their ``last_used_at``) wait here and are written in one transaction
every ``usage_flush_seconds`` (1 s), when half of ``usage_buffer_rows`` are waiting,
before this replica's own usage summary or key listing is read, and at shutdown. What
a kill -9 can lose is analytics of the last second, never a call, a key or a payment.
At most ``usage_buffer_rows`` wait; past that (the database down for long) rows are
dropped and counted in the log, so memory stays bounded.

A batch is checked against the users and organizations as they are when it is
written: rows of a user who objected or was erased meanwhile lose the user id, rows of
an organization erased meanwhile are not written, as the objection and the erasures
did to the rows already written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update
from sqlmodel import col

from clashtor_common.db import Database, utcnow
from clashtor_common.periodic import Periodic
from gateway.adapters.tables import ApiKey, Organization, UsageEvent, User
from gateway.domain.principal import Principal

log = logging.getLogger(__name__)

LAST_USED_GRANULARITY = timedelta(minutes=1)
"""``last_used_at`` moves at most once a minute per key: most flushes change no row."""

_KEYS = ApiKey.__table__
_TOUCH_KEYS = (
    update(_KEYS)
    .where(
        _KEYS.c.id == bindparam("key_id"),
        or_(
            _KEYS.c.last_used_at.is_(None),
            _KEYS.c.last_used_at <= bindparam("moved_before", type_=_KEYS.c.last_used_at.type),
        ),
    )
    .values(last_used_at=bindparam("used_at", type_=_KEYS.c.last_used_at.type))
)
"""One statement for every key used since the last batch, executed once with a row of
parameters per key (a Core statement on the table: an executemany, not a round trip
per key)."""


_INSERT_USAGE = insert(UsageEvent.__table__)  # type: ignore[arg-type]
"""The batch's rows as one executemany of plain values: a row waits as a dict, not as an
ORM object (45 us to build one, per request, and a unit-of-work flush per row)."""


@dataclass
class _Pending:
    rows: list[dict[str, object]] = field(default_factory=list)
    keys_used: dict[str, datetime] = field(default_factory=dict)


class UsageRecorder:
    """Usage rows and API key uses, kept in memory and written in batches."""

    def __init__(self, db: Database, *, flush_seconds: float, max_rows: int) -> None:
        self.db = db
        self.max_rows = max_rows
        self.dropped = 0
        self._pending = _Pending()
        self._loop = Periodic("usage-flush", flush_seconds, self.flush)

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        """Stop the loop and write what is waiting (a clean shutdown loses nothing)."""
        await self._loop.stop()
        await self.flush_now()

    def record(self, principal: Principal, *, method: str, route: str, status: int) -> None:
        if principal.analytics_opt_out:
            return
        rows = self._pending.rows
        if len(rows) >= self.max_rows:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("usage buffer full: %d rows dropped so far", self.dropped)
            return
        rows.append(
            {
                "org_id": principal.org_id,
                "user_id": principal.user_id,
                "method": method,
                "route": route[:200],
                "status": status,
                "via": principal.via,
                "at": utcnow(),
            }
        )
        if len(rows) >= self.max_rows // 2:
            self._loop.wake()

    def key_used(self, key_id: str, at: datetime) -> None:
        self._pending.keys_used[key_id] = at

    @property
    def waiting(self) -> int:
        return len(self._pending.rows) + len(self._pending.keys_used)

    async def flush_now(self) -> None:
        """``flush`` for a caller that must go on if it fails (shutdown, a listing): usage
        is analytics, and what could not be written waits for the next batch."""
        try:
            await self.flush()
        except Exception as exc:
            log.warning("usage batch not written (%d waiting): %r", self.waiting, exc)

    async def flush(self) -> None:
        """Write what is waiting in one transaction; on failure it waits for the next."""
        batch, self._pending = self._pending, _Pending()
        if not batch.rows and not batch.keys_used:
            return
        try:
            await _write(self.db, batch)
        except Exception:
            # Back in line (ahead of what came meanwhile), within the bound.
            self._pending.rows[:0] = batch.rows[: max(0, self.max_rows - len(self._pending.rows))]
            for key_id, at in batch.keys_used.items():
                self._pending.keys_used.setdefault(key_id, at)
            raise


async def _write(db: Database, batch: _Pending) -> None:
    async with db.session() as session:
        if batch.rows:
            org_ids = {r["org_id"] for r in batch.rows}
            orgs = await session.execute(
                select(Organization.id).where(col(Organization.id).in_(org_ids))
            )
            live = set(orgs.scalars())
            rows = [r for r in batch.rows if r["org_id"] in live]
            user_ids = {r["user_id"] for r in rows if r["user_id"]}
            found = await session.execute(
                select(User.id, User.analytics_opt_out).where(col(User.id).in_(user_ids))
            )
            counted = {uid for uid, objected in found if not objected}
            written = [  # erased or objected since: no user id, like the rows before
                r if r["user_id"] in counted else {**r, "user_id": None} for r in rows
            ]
            if written:
                await session.execute(_INSERT_USAGE, written)
        if batch.keys_used:
            await session.execute(
                _TOUCH_KEYS,
                [  # in key order: two replicas flushing at once lock the rows in one order
                    {"key_id": key_id, "used_at": at, "moved_before": at - LAST_USED_GRANULARITY}
                    for key_id, at in sorted(batch.keys_used.items())
                ],
            )
