"""A user's new name or email reaches every copy: the gateway's side of rectification.

The gateway owns the user row, but other services hold copies (ingest's call
participants, billing's Stripe customer). After ``PATCH /v1/me`` commits, privacy is
asked for a rectification (``POST /internal/rectification``), which it announces as
``subject-rectified`` with the new values behind an encrypted claim check.

Nothing may be lost if privacy is down at that moment, so the change is recorded as a
``PendingRectification`` row in the same transaction as the change itself, offered to
privacy right after the commit, and offered again by a background loop until privacy
takes it. The request goes out with the ``system`` role (the gateway vouches that this
is the user's own account) and the user's id, so privacy records them as requester.
The subject names the user by id *and* by the email they had before the change: other
services know a person by the fingerprint of that address.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from clashtor_common.backoff import capped_exponential
from clashtor_common.db import Database, as_utc, utcnow
from clashtor_common.errors import ApiError
from clashtor_common.identity import Identity
from clashtor_common.periodic import Periodic
from gateway.adapters.services import ServiceClients
from gateway.adapters.tables import PendingRectification, User

log = logging.getLogger(__name__)

RECTIFIABLE = ("name", "email")
MAX_BACKOFF_SECONDS = 3600.0


async def record_change(
    session: AsyncSession, user: User, fields: set[str], previous_email: str
) -> None:
    """Remember, in the caller's transaction, that ``fields`` of ``user`` changed."""
    fields = fields & set(RECTIFIABLE)
    if not fields:
        return
    row = await session.get(PendingRectification, user.id)
    if row is None:
        session.add(
            PendingRectification(
                user_id=user.id,
                org_id=user.org_id,
                fields=sorted(fields),
                previous_email=previous_email,
            )
        )
        return
    # Not yet taken: widen it. The earlier address stays the one others know.
    row.fields = sorted(set(row.fields) | fields)
    row.revision += 1
    row.next_attempt_at = utcnow()
    session.add(row)


def _retryable(exc: ApiError) -> bool:
    """Privacy down or busy, or the organization deleted (it may yet be restored)."""
    return exc.status >= 500 or exc.status == 429 or exc.code == "account_deleted"


class Rectifications:
    """Offers pending rectifications to privacy: right after a change, then on a timer."""

    def __init__(self, db: Database, services: ServiceClients, *, retry_seconds: float) -> None:
        self.db = db
        self.services = services
        self.retry_seconds = retry_seconds
        self._loop = Periodic("rectifications", retry_seconds, self.deliver_due)

    async def deliver(self, user_id: str) -> str:
        """Offer the user's pending rectification once.

        Returns ``delivered``, ``retry`` (privacy could not take it now), ``dropped``
        (the user is gone, or privacy refused it for good) or ``nothing``."""
        async with self.db.session() as session:
            row = await session.get(PendingRectification, user_id)
            if row is None:
                return "nothing"
            user = await session.get(User, user_id)
            if user is None or user.org_id != row.org_id:
                await session.delete(row)
                return "dropped"
            revision, org_id = row.revision, row.org_id
            changes = {f: getattr(user, f) for f in row.fields if f in RECTIFIABLE}
            subject = {"type": "user", "id": user.id, "email": row.previous_email}
        try:
            await self.services.call_json(
                "privacy",
                "POST",
                "/internal/rectification",
                identity=Identity(org_id=org_id, user_id=user_id, role="system"),
                json={"subject": subject, "changes": changes},
            )
        except ApiError as exc:
            return await self._failed(user_id, revision, exc)
        async with self.db.session() as session:
            row = await session.get(PendingRectification, user_id)
            if row is not None and row.revision == revision:
                await session.delete(row)
        return "delivered"

    async def _failed(self, user_id: str, revision: int, exc: ApiError) -> str:
        async with self.db.session() as session:
            row = await session.get(PendingRectification, user_id)
            if row is None:
                return "nothing"
            if not _retryable(exc) and row.revision == revision:
                log.error(
                    "privacy refused the rectification of user %s for good: %s %s",
                    user_id,
                    exc.status,
                    exc.message,
                )
                await session.delete(row)
                return "dropped"
            row.attempts += 1
            delay = capped_exponential(self.retry_seconds, row.attempts - 1, MAX_BACKOFF_SECONDS)
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            row.last_error = f"{exc.status} {exc.code}: {exc.message}"[:500]
            session.add(row)
        log.warning("rectification of user %s not taken yet (%s); retrying", user_id, exc.code)
        return "retry"

    async def deliver_due(self, now: datetime | None = None, limit: int = 100) -> int:
        """Offer every rectification that is due; returns how many privacy took."""
        moment = now or utcnow()
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(
                        col(PendingRectification.user_id), col(PendingRectification.next_attempt_at)
                    )
                    .order_by(col(PendingRectification.next_attempt_at))
                    .limit(limit)
                )
            ).all()
        due = [user_id for user_id, at in rows if as_utc(at) <= moment]
        delivered = 0
        for user_id in due:
            delivered += await self.deliver(user_id) == "delivered"
        return delivered

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
