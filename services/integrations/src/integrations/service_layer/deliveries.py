"""Deliveries: one per event and subscription, made in the event's transaction.

``enqueue`` runs inside the consumer's transaction (inbox + deliveries commit
together), so an event redelivered by the broker makes no second delivery; the unique
(subscription, event) pair says the same in the schema. The dispatcher sends them.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.pagination import creation_page
from integrations.adapters.tables import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.domain import errors
from integrations.domain.catalog import envelope


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


async def enqueue(
    session: AsyncSession,
    *,
    org_id: str,
    event_type: str,
    event_id: str,
    subject_id: str,
    at: datetime,
    data: dict[str, Any],
) -> int:
    """A pending delivery for each enabled subscription of ``org_id`` to ``event_type``."""
    subs = (
        await session.execute(
            select(WebhookSubscription).where(
                col(WebhookSubscription.org_id) == org_id,
                col(WebhookSubscription.enabled).is_(True),
            )
        )
    ).scalars()
    body = json.dumps(envelope(event_type, at, data), separators=(",", ":"))
    now = datetime.now(UTC)
    made = 0
    for sub in subs:
        if event_type not in sub.event_types:
            continue
        exists = await session.scalar(
            select(WebhookDelivery.id).where(
                col(WebhookDelivery.subscription_id) == sub.id,
                col(WebhookDelivery.event_id) == event_id,
            )
        )
        if exists:
            continue
        session.add(
            WebhookDelivery(
                id=new_message_id(),
                org_id=org_id,
                subscription_id=sub.id,
                event_type=event_type,
                event_id=event_id,
                subject_id=subject_id,
                payload=body,
                next_attempt_at=now,
                window_start=now,
            )
        )
        made += 1
    return made


async def page(
    session: AsyncSession, org_id: str, sub_id: str, *, limit: int, cursor: str | None
) -> tuple[list[WebhookDelivery], dict[str, list[WebhookAttempt]], str | None]:
    """Newest first: the deliveries of one subscription with their attempts."""
    query = select(WebhookDelivery).where(
        col(WebhookDelivery.org_id) == org_id, col(WebhookDelivery.subscription_id) == sub_id
    )
    rows, next_cursor = await creation_page(
        session, query, WebhookDelivery, limit=limit, cursor=cursor, newest_first=True
    )
    attempts: dict[str, list[WebhookAttempt]] = {r.id: [] for r in rows}
    if rows:
        found = await session.execute(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(list(attempts)))
            .order_by(col(WebhookAttempt.id))
        )
        for attempt in found.scalars():
            attempts[attempt.delivery_id].append(attempt)
    return rows, attempts, next_cursor


async def redeliver(
    session: AsyncSession, org_id: str, sub_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again now, with the same ``webhook-id`` (receivers can tell a
    redelivery from a new event), and a fresh retry window if it fails again."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.org_id != org_id or delivery.subscription_id != sub_id:
        raise errors.delivery_not_found(delivery_id)
    now = datetime.now(UTC)
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.window_start = now
    delivery.failures = 0
    delivery.manual = True
    session.add(delivery)
    return delivery
