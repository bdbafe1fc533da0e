"""Reports pending ledger rows to Stripe's billing meter, once each.

Timing: a background loop, woken right after a transaction that added a pending row
commits (and polling every ``usage_report_poll_seconds`` otherwise), so reporting never
holds the consumer's transaction open on a Stripe call and a Stripe outage never blocks
the ledger. Each row is sent as one meter event whose ``identifier`` is the call id and
whose idempotency key is derived from it: a retry, a second reporter or a crash between
sending and marking the row sends the same event again, which Stripe counts once (a
row that failed a whole round gets a new key next round, see ``meter_idempotency_key``;
the identifier still dedupes).
Transient failures (429/5xx/network, after the adapter's own retries) back off
exponentially per row; a request Stripe rejects marks the row ``failed`` for ops.
"""

from __future__ import annotations

import logging
import time
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import col, select

from billing.adapters.stripe_gateway import StripeGateway, StripeRejected, StripeUnavailable
from billing.adapters.tables import ReportStatus, UsageRecord
from billing.domain.plans import METER_EVENT_NAME
from billing.service_layer.usage import USAGE_DIRTY
from clashtor_common.backoff import capped_exponential
from clashtor_common.db import Database
from clashtor_common.periodic import Periodic

log = logging.getLogger(__name__)

#: Stripe accepts meter events at most 35 days old.
METER_MAX_AGE_SECONDS = 35 * 86400 - 3600


def meter_idempotency_key(call_id: str, round_: int = 0) -> str:
    """Same key for every try within a round; a new one per later round, because Stripe
    replays a saved 5xx for a key for 24 hours (the identifier still counts it once)."""
    return f"clashtor-usage-{call_id}" if round_ == 0 else f"clashtor-usage-{call_id}-r{round_}"


@dataclass(eq=False)
class UsageReporter:
    db: Database
    gateway: StripeGateway
    _: KW_ONLY
    poll_seconds: float = 5
    batch: int = 100
    max_backoff_seconds: float = 3600
    reported: int = field(init=False, default=0)
    last_error: str | None = field(init=False, default=None)
    _loop: Periodic = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Database down: the loop logs it and tries again on the next round.
        self._loop = Periodic("usage-reporter", self.poll_seconds, self.report_pending)

    async def start(self) -> None:
        USAGE_DIRTY.subscribe(self._loop.wake)
        await self._loop.start()

    async def stop(self) -> None:
        USAGE_DIRTY.unsubscribe(self._loop.wake)
        await self._loop.stop()

    def wake(self) -> None:
        self._loop.wake()

    async def report_pending(self, now: int | None = None) -> int:
        """Report every pending row that is due; returns how many Stripe accepted."""
        now = now or int(time.time())
        async with self.db.session() as session:
            rows = (
                (
                    await session.execute(
                        select(UsageRecord)
                        .where(
                            UsageRecord.report_status == ReportStatus.PENDING,
                            UsageRecord.next_report_at <= now,  # type: ignore[operator]
                        )
                        .order_by(UsageRecord.id)  # type: ignore[arg-type]
                        .limit(self.batch)
                    )
                )
                .scalars()
                .all()
            )
        sent = 0
        for row in rows:
            if await self.report_one(row, now):
                sent += 1
        self.reported += sent
        return sent

    async def report_one(self, row: UsageRecord, now: int) -> bool:
        assert row.id is not None
        if row.stripe_customer_id is None:
            await self._mark(row.id, status=ReportStatus.NOT_BILLABLE, error="no Stripe customer")
            return False
        if now - row.occurred_at > METER_MAX_AGE_SECONDS:
            await self._mark(
                row.id,
                status=ReportStatus.FAILED,
                error="older than Stripe's 35-day meter window; bill it by hand",
            )
            return False
        try:
            await self.gateway.report_meter_event(
                event_name=METER_EVENT_NAME,
                customer_id=row.stripe_customer_id,
                value=row.minutes,
                identifier=row.call_id,
                timestamp=min(row.occurred_at, now),
                idempotency_key=meter_idempotency_key(row.call_id, row.report_attempts),
            )
        except StripeUnavailable as exc:
            attempts = row.report_attempts + 1
            delay = capped_exponential(self.poll_seconds, attempts, self.max_backoff_seconds)
            self.last_error = str(exc)
            log.warning(
                "usage of call %s not reported yet (attempt %s): %s", row.call_id, attempts, exc
            )
            await self._mark(
                row.id,
                status=ReportStatus.PENDING,
                error=str(exc),
                attempts=attempts,
                next_at=now + int(delay),
            )
            return False
        except StripeRejected as exc:
            if exc.status in (401, 403):  # our configuration, not the row: try again later
                await self._mark(
                    row.id,
                    status=ReportStatus.PENDING,
                    error=str(exc),
                    attempts=row.report_attempts + 1,
                    next_at=now + int(self.max_backoff_seconds),
                )
                return False
            log.error("Stripe rejected usage of call %s: %s", row.call_id, exc)
            await self._mark(row.id, status=ReportStatus.FAILED, error=str(exc))
            return False
        await self._mark(row.id, status=ReportStatus.REPORTED, error=None, reported=True)
        return True

    async def _mark(
        self,
        row_id: int,
        *,
        status: str,
        error: str | None,
        attempts: int | None = None,
        next_at: int | None = None,
        reported: bool = False,
    ) -> None:
        values: dict[str, object] = {
            "report_status": status,
            "last_error": (error or None) and error[:500],
        }
        if attempts is not None:
            values["report_attempts"] = attempts
        if next_at is not None:
            values["next_report_at"] = next_at
        if reported:
            values["reported_at"] = datetime.now(UTC)
        async with self.db.session() as session:
            await session.execute(
                update(UsageRecord)
                .where(
                    col(UsageRecord.id) == row_id,
                    col(UsageRecord.report_status) == ReportStatus.PENDING,
                )
                .values(**values)
            )
