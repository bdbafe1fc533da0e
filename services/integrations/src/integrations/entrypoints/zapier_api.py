"""Internal API of Zapier's REST hooks, on the webhook machinery.

Zapier subscribes a ``hookUrl`` to one event when a Zap is turned on and unsubscribes
it when the Zap is turned off; deliveries are the same signed, retried, logged
webhooks as any other (``source: zapier`` in the webhook list). Sample data lets
Zapier show a user the fields of an event before one happened.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from clashtor_common.contracts.webhooks import EventType, ZapierHook
from integrations.domain import catalog, errors
from integrations.entrypoints.deps import AdminIdentity, SessionDep, SubscriptionDepsDep
from integrations.service_layer import subscriptions

router = APIRouter(prefix="/internal/zapier", tags=["zapier"])
HookId = Annotated[str, Path(min_length=1, max_length=36)]


class ZapierSubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hook_url: str = Field(min_length=8, max_length=2000)
    event: EventType


@router.post("/hooks", status_code=201, response_model=ZapierHook, operation_id="zapierSubscribe")
async def subscribe(
    body: ZapierSubscribe, identity: AdminIdentity, session: SessionDep, deps: SubscriptionDepsDep
) -> ZapierHook:
    sub, _secret = await subscriptions.create(
        session,
        deps,
        org_id=identity.org_id,
        user_id=identity.user_id,
        url=body.hook_url,
        event_types=[body.event],
        description="Zapier",
        source="zapier",
    )
    return ZapierHook(id=sub.id, event=body.event)


@router.delete("/hooks/{hook_id}", status_code=204, operation_id="zapierUnsubscribe")
async def unsubscribe(hook_id: HookId, identity: AdminIdentity, session: SessionDep) -> Response:
    sub = await subscriptions.get(session, identity.org_id, hook_id)
    if sub.source != "zapier":
        raise errors.webhook_not_found(hook_id)
    await subscriptions.delete(session, sub)
    return Response(status_code=204)


@router.get("/samples/{event}", operation_id="zapierSample")
async def sample(event: EventType, identity: AdminIdentity) -> list[dict[str, Any]]:
    """One example of the event's ``data`` (what a Zap's later steps can map)."""
    return [catalog.SAMPLES[event]]
