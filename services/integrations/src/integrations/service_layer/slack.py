"""Slack alerts: an organization's connection and rules, the alerts an event makes, and
the notifier that posts them.

Alerts are made in the event's transaction (a redelivered event makes none twice;
(rule, event) is unique) and posted afterwards by ``SlackNotifier``, which retries
what may pass (429, 5xx, Slack unreachable) on the webhook retry schedule and gives up
on what cannot (``channel_not_found``, ``invalid_auth``: the error stays on the alert).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.crypto import Keyring
from clashtor_common.pagination import creation_page
from integrations.adapters.slack import PostResult, SlackPoster
from integrations.adapters.tables import SlackAlert, SlackConnection, SlackRule, as_utc
from integrations.domain import errors
from integrations.domain.alerts import Outcome, RuleSpec, matches, message
from integrations.service_layer import fence
from integrations.service_layer.leased import LeasedWorker

log = logging.getLogger(__name__)
SENDING = "sending"
"""An alert past the erasure fence, being posted (``service_layer.fence``)."""


def _aad(org_id: str) -> bytes:
    return f"integrations:slack:{org_id}".encode()


async def connect(
    session: AsyncSession, keyring: Keyring, *, org_id: str, user_id: str, token: str
) -> SlackConnection:
    conn = await session.get(SlackConnection, org_id) or SlackConnection(
        org_id=org_id, token_enc=b"", created_by=user_id
    )
    conn.token_enc = keyring.encrypt_text(token, aad=_aad(org_id))
    conn.created_by = user_id
    session.add(conn)
    return conn


async def connection(session: AsyncSession, org_id: str) -> SlackConnection | None:
    return await session.get(SlackConnection, org_id)


async def disconnect(session: AsyncSession, org_id: str) -> None:
    conn = await session.get(SlackConnection, org_id)
    if conn is None:
        raise errors.slack_not_connected()
    await session.delete(conn)


async def add_rule(
    session: AsyncSession,
    *,
    org_id: str,
    user_id: str,
    kind: str,
    channel: str,
    threshold: float | None,
    tracker: str | None,
) -> SlackRule:
    rule = SlackRule(
        id=str(uuid.uuid4()),
        org_id=org_id,
        kind=kind,
        channel=channel,
        threshold=threshold,
        tracker=tracker,
        created_by=user_id,
    )
    session.add(rule)
    return rule


async def rules_page(
    session: AsyncSession, org_id: str, *, limit: int, cursor: str | None
) -> tuple[list[SlackRule], str | None]:
    """The organization's rules, oldest first, a page at a time."""
    query = select(SlackRule).where(col(SlackRule.org_id) == org_id)
    return await creation_page(session, query, SlackRule, limit=limit, cursor=cursor)


async def rules(session: AsyncSession, org_id: str) -> list[SlackRule]:
    found = await session.execute(
        select(SlackRule)
        .where(col(SlackRule.org_id) == org_id)
        .order_by(col(SlackRule.created_at), col(SlackRule.id))
    )
    return list(found.scalars())


async def delete_rule(session: AsyncSession, org_id: str, rule_id: str) -> None:
    rule = await session.get(SlackRule, rule_id)
    if rule is None or rule.org_id != org_id:
        raise errors.slack_rule_not_found(rule_id)
    await session.delete(rule)


async def enqueue_alerts(
    session: AsyncSession, *, org_id: str, event_id: str, outcome: Outcome
) -> int:
    """An alert for each enabled rule the outcome matches (none without a connection)."""
    if await session.get(SlackConnection, org_id) is None:
        return 0
    made = 0
    now = datetime.now(UTC)
    for rule in await rules(session, org_id):
        spec = RuleSpec(kind=rule.kind, threshold=rule.threshold, tracker=rule.tracker)
        if not rule.enabled or not matches(spec, outcome):
            continue
        text, blocks = message(spec, outcome)
        session.add(
            SlackAlert(
                id=str(uuid.uuid4()),
                org_id=org_id,
                rule_id=rule.id,
                event_id=event_id,
                call_id=outcome.call_id,
                channel=rule.channel,
                text=text,
                blocks=blocks,
                next_attempt_at=now,
            )
        )
        made += 1
    return made


@dataclass(eq=False)
class SlackNotifier(LeasedWorker):
    """Posts due alerts, one claim-send-record round per poll (see ``dispatch``)."""

    name: ClassVar[str] = "slack-alerts"
    poster: SlackPoster
    keyring: Keyring

    async def run(self) -> int:
        return await self.run_once()

    async def run_once(self) -> int:
        now = datetime.now(UTC)
        lease = now + self.lease
        async with self.db.session() as session:
            query = (
                select(SlackAlert, SlackConnection)
                .join(SlackConnection, col(SlackConnection.org_id) == col(SlackAlert.org_id))
                .where(
                    col(SlackAlert.status).in_([fence.PENDING, SENDING]),
                    col(SlackAlert.next_attempt_at) <= now,
                )
            )
            due = []
            for alert, conn in (await session.execute(self.due_first(query, SlackAlert))).all():
                alert.status, alert.next_attempt_at = fence.PENDING, lease
                session.add(alert)
                token = self.keyring.decrypt_text(conn.token_enc, aad=_aad(conn.org_id))
                due.append((alert.id, token, alert.channel, alert.text, alert.blocks))
        for alert_id, token, channel, text, blocks in due:
            # posted one after the other: the call of a later one may be erased meanwhile
            sending = await fence.hand_over(
                self.db, SlackAlert, alert_id, lease, self.lease, SENDING
            )
            if sending is None:
                log.info("slack alert %s erased before it was posted", alert_id)
                continue
            result = await self.poster.post(token, channel, text, blocks)
            await self._record(alert_id, sending, result)
        return len(due)

    async def _record(self, alert_id: str, lease: datetime, result: PostResult) -> None:
        async with self.db.session() as session:
            alert = await fence.locked(session, SlackAlert, alert_id)
            if alert is None or not fence.still_ours(alert, SENDING, lease):
                return
            now = datetime.now(UTC)
            alert.status = fence.PENDING
            alert.attempts += 1
            alert.last_error = result.error
            if result.ok:
                alert.status, alert.sent_at, alert.next_attempt_at = "sent", now, None
            elif result.retry:
                created = as_utc(alert.created_at) or now
                alert.next_attempt_at = self.policy.next_attempt(created, now, alert.attempts)
                if alert.next_attempt_at is None:
                    alert.status = "failed"
            else:
                alert.status, alert.next_attempt_at = "failed", None
                log.warning("slack alert %s refused by Slack: %s", alert.id, result.error)
            session.add(alert)


async def erase_alerts(session: AsyncSession, org_id: str, *where: Any) -> int:
    """Delete the organization's alerts matching ``where`` in one statement; how many.
    Raises ``SendingNow`` while one of them is being posted (the caller's transaction
    rolls back: nothing deleted).

    The check reads what the DELETE itself removed (RETURNING), not a SELECT before it:
    an alert handed over to the notifier between the two would be deleted mid-post and
    the erasure answered while Slack is still being told about the call. The DELETE
    waits on a row a hand-over holds and sees its new status once that commits."""
    gone = await session.execute(
        delete(SlackAlert)
        .where(col(SlackAlert.org_id) == org_id, *where)
        .returning(col(SlackAlert.id), col(SlackAlert.status), col(SlackAlert.next_attempt_at))
        .execution_options(synchronize_session=False)
    )
    rows = list(gone.all())
    fence.refuse_while_sending(rows, SENDING, "slack alert(s)")
    return len(rows)
