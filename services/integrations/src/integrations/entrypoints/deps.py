"""FastAPI dependencies of the internal API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.identity import CurrentIdentity, Identity
from integrations.context import IntegrationsContext, context_of
from integrations.domain.access import can_manage
from integrations.domain.errors import not_admin
from integrations.service_layer.subscriptions import SubscriptionDeps


def integrations_context(request: Request) -> IntegrationsContext:
    return context_of(request.app.state.runtime)


ContextDep = Annotated[IntegrationsContext, Depends(integrations_context)]


async def session(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    async with ctx.db.session() as s:
        yield s


SessionDep = Annotated[AsyncSession, Depends(session)]


def admin_identity(identity: CurrentIdentity) -> Identity:
    """Only admins and owners manage an organization's integrations."""
    if not can_manage(identity):
        raise not_admin()
    return identity


AdminIdentity = Annotated[Identity, Depends(admin_identity)]


def subscription_deps(ctx: ContextDep) -> SubscriptionDeps:
    return SubscriptionDeps(
        credentials=ctx.credentials,
        sender=ctx.sender,
        max_per_org=ctx.settings.webhook_max_subscriptions,
        secret_grace=timedelta(hours=ctx.settings.webhook_secret_grace_hours),
    )


SubscriptionDepsDep = Annotated[SubscriptionDeps, Depends(subscription_deps)]
