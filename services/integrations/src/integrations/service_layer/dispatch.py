"""The dispatcher: sends due webhook deliveries, logs each attempt, schedules retries.

The schedule lives in the database (``next_attempt_at``), so a restart loses nothing:
a new process picks up where the old one stopped. Sending is split in three steps so
no transaction is held open across a slow receiver:

1. claim: in one transaction, take a batch of due deliveries and push their
   ``next_attempt_at`` a lease ahead (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
   replicas never take the same one); a sender killed mid-flight is retried once
   the lease runs out;
2. send, outside any transaction (the target is checked again, see ``adapters.sender``);
3. record, in a new transaction: the attempt in the log, then delivered, or the next
   retry from ``domain.retries``, or given up once the retry window is spent.

At-least-once: a crash between 2 and 3 sends again; the ``webhook-id`` is the same,
which is what Standard Webhooks receivers deduplicate on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from integrations.adapters.credentials import Credentials
from integrations.adapters.sender import SendResult, WebhookSender
from integrations.adapters.tables import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    as_utc,
)
from integrations.domain.retries import RetryPolicy
from integrations.service_layer.leased import LeasedWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    url: str
    secrets: list[str]
    body: str
    lease_until: datetime


@dataclass(eq=False)
class Dispatcher(LeasedWorker):
    name: ClassVar[str] = "webhook-dispatch"
    sender: WebhookSender
    credentials: Credentials
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def run(self) -> int:
        return await self.run_until_idle()

    async def run_until_idle(self) -> int:
        """Send every due delivery (batch after batch); how many attempts were made."""
        total = 0
        async with self._lock:
            while True:
                sent = await self.run_once()
                total += sent
                if sent < self.batch:
                    return total

    async def run_once(self) -> int:
        claimed = await self._claim(datetime.now(UTC))
        results = await asyncio.gather(*(self._send(c) for c in claimed))
        for claim, result in zip(claimed, results, strict=True):
            await self._record(claim, result)
        return len(claimed)

    async def _claim(self, now: datetime) -> list[Claimed]:
        async with self.db.session() as session:
            query = (
                select(WebhookDelivery, WebhookSubscription)
                .join(
                    WebhookSubscription,
                    col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
                )
                .where(
                    col(WebhookDelivery.status) == "pending",
                    col(WebhookDelivery.next_attempt_at) <= now,
                    col(WebhookSubscription.enabled).is_(True),
                )
            )
            rows = (await session.execute(self.due_first(query, WebhookDelivery))).all()
            claimed = []
            for delivery, sub in rows:
                delivery.next_attempt_at = now + self.lease
                session.add(delivery)
                claimed.append(
                    Claimed(
                        delivery_id=delivery.id,
                        url=self.credentials.url(sub),
                        secrets=self.credentials.live_secrets(sub, now),
                        body=delivery.payload,
                        lease_until=now + self.lease,
                    )
                )
            return claimed

    async def _send(self, claim: Claimed) -> SendResult:
        return await self.sender.send(
            claim.url, msg_id=claim.delivery_id, body=claim.body, secrets=claim.secrets
        )

    async def _record(self, claim: Claimed, result: SendResult) -> None:
        async with self.db.session() as session:
            delivery = await session.get(WebhookDelivery, claim.delivery_id)
            if delivery is None:  # unsubscribed or erased while in flight
                return
            # Redelivery asked for while this attempt was in flight: log the attempt,
            # keep the new request's schedule.
            requeued = as_utc(delivery.next_attempt_at) != claim.lease_until
            await record_attempt(session, delivery, result, self.policy, requeued=requeued)


async def record_attempt(
    session: AsyncSession,
    delivery: WebhookDelivery,
    result: SendResult,
    policy: RetryPolicy,
    *,
    requeued: bool = False,
) -> None:
    now = datetime.now(UTC)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            org_id=delivery.org_id,
            at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
            manual=delivery.manual and not requeued,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    if requeued:
        session.add(delivery)
        return
    delivery.manual = False
    if result.ok:
        delivery.status = "delivered"
        delivery.failures = 0
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        window_start = as_utc(delivery.window_start) or now
        delivery.failures += 1
        retry = policy.next_attempt(window_start, now, delivery.failures)
        delivery.next_attempt_at = retry
        if retry is None:
            delivery.status = "failed"
            log.warning(
                "webhook delivery %s given up after %d attempts: %s",
                delivery.id,
                delivery.attempts,
                result.error or result.status_code,
            )
    session.add(delivery)
