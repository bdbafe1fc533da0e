"""FastAPI dependencies of the internal API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.deps import context_dependency, session_dependency
from clashtor_common.identity import CurrentIdentity, Identity
from integrations.context import IntegrationsContext, context_of
from integrations.domain.access import can_manage
from integrations.domain.errors import not_admin
from integrations.service_layer.subscriptions import SubscriptionDeps

integrations_context = context_dependency(context_of)
ContextDep = Annotated[IntegrationsContext, Depends(integrations_context)]


SessionDep = Annotated[
    AsyncSession, Depends(session_dependency(integrations_context), scope="function")
]


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
