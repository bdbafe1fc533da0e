"""Storing subscription changes and announcing them through the outbox.

Whatever moves a subscription (a webhook, a re-read from Stripe, the end of a grace
period) goes through ``store_state``: it writes the organization's row and, when the
plan/limits in force changed, emits ``subscription-changed`` in the same transaction.
The announced ``stripe_updated`` is strictly increasing per organization, so a consumer
that keeps the newest stamp never lets an older announcement win.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from billing.adapters.tables import SubscriptionRecord
from billing.domain.plans import FREE
from billing.domain.subscriptions import (
    GRACE_STATUSES,
    Effective,
    SubscriptionSnapshot,
    SubscriptionState,
    effective,
    is_stale,
    state_from_snapshot,
    subscription_changed,
    with_status,
)
from clashtor_common.db import Database
from clashtor_common.events import make_event
from clashtor_common.outbox import emit

log = logging.getLogger(__name__)
SOURCE = "billing"


def announcement_key(eff: Effective) -> str:
    """What an announcement says, compact, to tell whether the next one differs."""
    lim = eff.limits
    return "|".join(
        str(v)
        for v in (
            eff.plan,
            eff.status,
            lim.included_minutes,
            lim.seats,
            lim.max_upload_mb,
            eff.period_start,
            eff.period_end,
            eff.grace_until,
        )
    )


def to_state(rec: SubscriptionRecord | None) -> SubscriptionState | None:
    if rec is None:
        return None
    # The row has the state's fields under the same names, but for the subscription id.
    names = [f.name for f in fields(SubscriptionState) if f.name != "subscription_id"]
    same = {name: getattr(rec, name) for name in names}
    return SubscriptionState(subscription_id=rec.stripe_subscription_id, **same)


async def load_for_update(session: AsyncSession, org_id: str) -> SubscriptionRecord | None:
    """The organization's row, locked until the transaction ends (PostgreSQL)."""
    result = await session.execute(
        select(SubscriptionRecord).where(SubscriptionRecord.org_id == org_id).with_for_update()
    )
    return result.scalars().first()


async def store_state(
    session: AsyncSession,
    *,
    org_id: str,
    rec: SubscriptionRecord | None,
    new: SubscriptionState,
    customer_id: str | None,
    now: int,
    announce_stamp: int | None = None,
) -> bool:
    """Write ``new`` for ``org_id``; emit subscription-changed if what is in force changed
    since the last announcement."""
    after = effective(new, now)
    key = announcement_key(after)
    if rec is None:
        rec = SubscriptionRecord(org_id=org_id, plan=new.plan, status=new.status)
    rec.stripe_subscription_id = new.subscription_id
    rec.stripe_customer_id = customer_id or rec.stripe_customer_id
    rec.plan = new.plan
    rec.status = new.status
    rec.seats = new.seats
    rec.period_start = new.period_start
    rec.period_end = new.period_end
    rec.grace_until = new.grace_until
    rec.stripe_updated = new.stripe_updated
    rec.updated_at = datetime.now(UTC)
    changed = key != rec.announced_key
    if changed:
        stamp = max(announce_stamp or new.stripe_updated, rec.announced_stamp + 1)
        rec.announced_stamp = stamp
        rec.announced_plan = after.plan
        rec.announced_key = key
        await emit(
            session,
            make_event(subscription_changed(after, stamp), source=SOURCE, org_id=org_id),
        )
    session.add(rec)
    return changed


Change = Callable[[SubscriptionState | None], SubscriptionState | None]
"""A change Stripe told of, as the stored state it makes (None: not about the stored one)."""


def snapshot_change(snapshot: SubscriptionSnapshot, stamp: int, grace_seconds: int) -> Change:
    """The subscription as Stripe described it at ``stamp``."""
    return lambda current: state_from_snapshot(current, snapshot, stamp, grace_seconds)


def status_change(subscription_id: str, status: str, stamp: int, grace_seconds: int) -> Change:
    """The stored subscription's status moved by an invoice event (Stripe not re-read);
    unmatched unless ``subscription_id`` is the stored subscription."""

    def change(current: SubscriptionState | None) -> SubscriptionState | None:
        if current is None or current.subscription_id != subscription_id:
            return None
        return with_status(current, status, stamp, grace_seconds)

    return change


async def apply_change(
    session: AsyncSession,
    *,
    org_id: str,
    change: Change,
    stamp: int,
    now: int,
    customer_id: str | None = None,
) -> str:
    """Apply a change Stripe told of at ``stamp``: applied, stale, or unmatched.

    The organization's row is locked; a change older than what is stored is ignored,
    else the new state is stored (and announced, if what is in force changed).
    """
    rec = await load_for_update(session, org_id)
    current = to_state(rec)
    new = change(current)
    if new is None:
        return "unmatched"
    if is_stale(current, new.subscription_id, new.status, stamp):
        log.info(
            "stale subscription change for org %s ignored (stamp %s, stored %s)",
            org_id,
            stamp,
            current.stripe_updated if current else None,
        )
        return "stale"
    await store_state(session, org_id=org_id, rec=rec, new=new, customer_id=customer_id, now=now)
    return "applied"


async def sweep_expired_grace(db: Database, now: int) -> int:
    """Announce the free plan for every subscription whose grace has run out."""
    announced = 0
    async with db.session() as session:
        result = await session.execute(
            select(SubscriptionRecord)
            .where(
                SubscriptionRecord.status.in_(sorted(GRACE_STATUSES)),  # type: ignore[attr-defined]
                SubscriptionRecord.grace_until <= now,  # type: ignore[operator]
                SubscriptionRecord.announced_plan != FREE,
            )
            .with_for_update()
        )
        for rec in result.scalars().all():
            state = to_state(rec)
            assert state is not None and rec.grace_until is not None
            if await store_state(
                session,
                org_id=rec.org_id,
                rec=rec,
                new=state,
                customer_id=None,
                now=now,
                announce_stamp=rec.grace_until,
            ):
                announced += 1
    return announced
