"""Webhook subscriptions of an organization: create, list, change, rotate, delete.

Every query is scoped by the caller's organization; another organization's id is the
same 404 as an unknown one. The signing secret is shown once, when it is made (at
creation and at rotation), and stored only encrypted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from clashtor_common.pagination import creation_page
from integrations.adapters.credentials import Credentials, new_secret
from integrations.adapters.sender import WebhookSender
from integrations.adapters.tables import WebhookSubscription
from integrations.domain import errors
from integrations.domain.targets import TargetRefused


@dataclass(frozen=True)
class SubscriptionDeps:
    credentials: Credentials
    sender: WebhookSender
    max_per_org: int
    secret_grace: timedelta


async def check_target(sender: WebhookSender, url: str) -> None:
    try:
        await sender.check(url)
    except TargetRefused as exc:
        raise errors.target_refused(str(exc)) from exc


async def create(
    session: AsyncSession,
    deps: SubscriptionDeps,
    *,
    org_id: str,
    user_id: str,
    url: str,
    event_types: list[str],
    description: str = "",
    source: str = "api",
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (the only time the secret is returned)."""
    await check_target(deps.sender, url)
    count = await session.scalar(
        select(func.count()).where(col(WebhookSubscription.org_id) == org_id)
    )
    if (count or 0) >= deps.max_per_org:
        raise errors.too_many_webhooks(deps.max_per_org)
    sub_id = str(uuid.uuid4())
    secret = new_secret()
    sub = WebhookSubscription(
        id=sub_id,
        org_id=org_id,
        url_enc=deps.credentials.seal_url(sub_id, url),
        event_types=sorted(set(event_types)),
        description=description,
        source=source,
        secret_enc=deps.credentials.seal_secret(sub_id, secret),
        created_by=user_id,
    )
    session.add(sub)
    return sub, secret


async def get(session: AsyncSession, org_id: str, sub_id: str) -> WebhookSubscription:
    sub = await session.get(WebhookSubscription, sub_id)
    if sub is None or sub.org_id != org_id:
        raise errors.webhook_not_found(sub_id)
    return sub


async def page(
    session: AsyncSession, org_id: str, *, limit: int, cursor: str | None, source: str | None = None
) -> tuple[list[WebhookSubscription], str | None]:
    query = select(WebhookSubscription).where(col(WebhookSubscription.org_id) == org_id)
    if source:
        query = query.where(col(WebhookSubscription.source) == source)
    return await creation_page(session, query, WebhookSubscription, limit=limit, cursor=cursor)


async def update(
    session: AsyncSession,
    deps: SubscriptionDeps,
    sub: WebhookSubscription,
    *,
    url: str | None,
    event_types: list[str] | None,
    description: str | None,
    enabled: bool | None,
) -> WebhookSubscription:
    if url is not None:
        await check_target(deps.sender, url)
        sub.url_enc = deps.credentials.seal_url(sub.id, url)
    if event_types is not None:
        sub.event_types = sorted(set(event_types))
    if description is not None:
        sub.description = description
    if enabled is not None:
        sub.enabled = enabled
    sub.updated_at = datetime.now(UTC)
    session.add(sub)
    return sub


async def rotate_secret(
    session: AsyncSession, deps: SubscriptionDeps, sub: WebhookSubscription
) -> tuple[str, datetime]:
    """A new secret; the old one keeps signing too until the returned time, so a
    receiver can switch over without dropping deliveries."""
    now = datetime.now(UTC)
    secret = new_secret()
    sub.previous_secret_enc = sub.secret_enc
    sub.previous_secret_until = now + deps.secret_grace
    sub.secret_enc = deps.credentials.seal_secret(sub.id, secret)
    sub.updated_at = now
    session.add(sub)
    return secret, sub.previous_secret_until


async def delete(session: AsyncSession, sub: WebhookSubscription) -> None:
    """The subscription and its delivery log (pending deliveries are never sent)."""
    await session.delete(sub)
