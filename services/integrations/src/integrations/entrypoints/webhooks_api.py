"""Internal API of webhook subscriptions and their delivery log (admins and owners).

Every route is scoped by the caller's organization; another organization's ids answer
404 like unknown ones. A target that resolves to a loopback, private, link-local or
metadata address is refused with 422 ``target_refused``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from clashtor_common.contracts import webhooks as wire
from clashtor_common.pagination import Paging
from integrations.adapters.tables import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    as_utc,
)
from integrations.entrypoints.deps import AdminIdentity, ContextDep, SessionDep, SubscriptionDepsDep
from integrations.service_layer import deliveries, subscriptions

router = APIRouter(prefix="/internal/webhooks", tags=["webhooks"])

NOT_FOUND = {404: {"description": "no such webhook in your organization"}}


def webhook_view(ctx: ContextDep, sub: WebhookSubscription) -> wire.Webhook:
    return wire.Webhook(
        id=sub.id,
        url=ctx.credentials.url(sub),
        event_types=sub.event_types,
        description=sub.description,
        source=sub.source,  # type: ignore[arg-type]
        enabled=sub.enabled,
        created_at=as_utc(sub.created_at),  # type: ignore[arg-type]
        updated_at=as_utc(sub.updated_at),  # type: ignore[arg-type]
    )


def delivery_view(d: WebhookDelivery, log: list[WebhookAttempt]) -> wire.Delivery:
    return wire.Delivery(
        id=d.id,
        event_type=d.event_type,
        status=d.status,  # type: ignore[arg-type]
        attempts=d.attempts,
        next_attempt_at=as_utc(d.next_attempt_at) if d.status == "pending" else None,
        last_status_code=d.last_status_code,
        created_at=as_utc(d.created_at),  # type: ignore[arg-type]
        delivered_at=as_utc(d.delivered_at),
        log=[
            wire.DeliveryAttempt(
                at=as_utc(a.at),  # type: ignore[arg-type]
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
                manual=a.manual,
            )
            for a in log
        ],
    )


@router.post(
    "", status_code=201, response_model=wire.WebhookWithSecret, operation_id="createWebhook"
)
async def create_webhook(
    body: wire.WebhookIn,
    identity: AdminIdentity,
    ctx: ContextDep,
    session: SessionDep,
    deps: SubscriptionDepsDep,
) -> wire.WebhookWithSecret:
    """Subscribe a URL to events; the signing secret is in this answer only."""
    sub, secret = await subscriptions.create(
        session,
        deps,
        org_id=identity.org_id,
        user_id=identity.user_id,
        url=body.url,
        event_types=list(body.event_types),
        description=body.description,
    )
    await session.flush()
    return wire.WebhookWithSecret(**webhook_view(ctx, sub).model_dump(), secret=secret)


@router.get("", response_model=wire.WebhookPage, operation_id="listWebhooks")
async def list_webhooks(
    identity: AdminIdentity, ctx: ContextDep, session: SessionDep, page: Paging
) -> wire.WebhookPage:
    rows, next_cursor = await subscriptions.page(
        session, identity.org_id, limit=page.limit, cursor=page.cursor
    )
    return wire.WebhookPage(items=[webhook_view(ctx, s) for s in rows], next_cursor=next_cursor)


async def organizations_webhook(
    webhook_id: wire.WebhookId, identity: AdminIdentity, session: SessionDep
) -> WebhookSubscription:
    """The webhook the path names, if it is the caller's organization's (404 otherwise)."""
    return await subscriptions.get(session, identity.org_id, webhook_id)


TheWebhook = Annotated[WebhookSubscription, Depends(organizations_webhook, scope="function")]
one_webhook = APIRouter(prefix="/{webhook_id}", responses=NOT_FOUND)
"""The routes of one webhook, each reading it as ``TheWebhook`` (so each may answer 404)."""


@one_webhook.get("", response_model=wire.Webhook, operation_id="getWebhook")
async def get_webhook(sub: TheWebhook, ctx: ContextDep) -> wire.Webhook:
    return webhook_view(ctx, sub)


@one_webhook.patch("", response_model=wire.Webhook, operation_id="updateWebhook")
async def update_webhook(
    body: wire.WebhookPatch,
    sub: TheWebhook,
    ctx: ContextDep,
    session: SessionDep,
    deps: SubscriptionDepsDep,
) -> wire.Webhook:
    sub = await subscriptions.update(
        session,
        deps,
        sub,
        url=body.url,
        event_types=list(body.event_types) if body.event_types is not None else None,
        description=body.description,
        enabled=body.enabled,
    )
    return webhook_view(ctx, sub)


@one_webhook.delete("", status_code=204, operation_id="deleteWebhook")
async def delete_webhook(sub: TheWebhook, session: SessionDep) -> Response:
    """Unsubscribe: the webhook, its secret and its delivery log are deleted."""
    await subscriptions.delete(session, sub)
    return Response(status_code=204)


@one_webhook.post(
    "/rotate-secret", response_model=wire.RotatedSecret, operation_id="rotateWebhookSecret"
)
async def rotate_secret(
    sub: TheWebhook, session: SessionDep, deps: SubscriptionDepsDep
) -> wire.RotatedSecret:
    """A new secret; deliveries carry signatures under both until the old one expires."""
    secret, until = await subscriptions.rotate_secret(session, deps, sub)
    return wire.RotatedSecret(secret=secret, previous_valid_until=until)


@one_webhook.get(
    "/deliveries", response_model=wire.DeliveryPage, operation_id="listWebhookDeliveries"
)
async def list_deliveries(sub: TheWebhook, session: SessionDep, page: Paging) -> wire.DeliveryPage:
    """The delivery log, newest first: each delivery with every attempt's response code."""
    rows, log, next_cursor = await deliveries.page(
        session, sub.org_id, sub.id, limit=page.limit, cursor=page.cursor
    )
    return wire.DeliveryPage(
        items=[delivery_view(d, log[d.id]) for d in rows], next_cursor=next_cursor
    )


@one_webhook.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=wire.Delivery,
    responses={404: {"description": "no such webhook or delivery in your organization"}},
    operation_id="redeliverWebhookDelivery",
)
async def redeliver(
    delivery_id: wire.DeliveryId, sub: TheWebhook, session: SessionDep
) -> wire.Delivery:
    """Send the delivery again now (same webhook-id), retrying as a new one would."""
    delivery = await deliveries.redeliver(session, sub.org_id, sub.id, delivery_id)
    return delivery_view(delivery, [])


router.include_router(one_webhook)
