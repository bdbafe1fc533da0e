"""Event handlers of the integrations service: one function per event, dependencies by name.

Each runs inside the bus's transaction (its effect, its inbox record and the events it
emits commit together), so a redelivered event makes no second webhook delivery. The
deliveries are sent afterwards by the dispatcher (``service_layer.dispatch``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    CallFailed,
    CallScored,
    Envelope,
    PrivacyRequestCompleted,
    Topic,
)
from clashtor_common.rights import answer_privacy_requests
from clashtor_common.subscriptions import Subscriptions
from integrations.context import SERVICE, IntegrationsContext
from integrations.domain import catalog
from integrations.domain.alerts import Outcome
from integrations.service_layer import deliveries, privacy, slack

events = Subscriptions()


@events.handles(Topic.CALL_SCORED)
async def on_call_scored(
    event: Envelope, session: AsyncSession, context: IntegrationsContext
) -> None:
    """``call.scored`` to every webhook of the organization that asked for it, and a
    Slack alert for every rule the call meets (a low score, a tracker)."""
    scored = event.payload_as(CallScored)
    await _announce(
        event,
        session,
        context,
        catalog.CALL_SCORED,
        scored,
        score=scored.overall_score,
        scorecard=scored.scorecard,
        trackers=tuple(scored.trackers),
    )


@events.handles(Topic.CALL_FAILED)
async def on_call_failed(
    event: Envelope, session: AsyncSession, context: IntegrationsContext
) -> None:
    """``call.failed`` to every webhook of the organization that asked for it, and a
    Slack alert where a rule asks for failures."""
    failed = event.payload_as(CallFailed)
    await _announce(
        event,
        session,
        context,
        catalog.CALL_FAILED,
        failed,
        failed_stage=failed.stage,
        failure_reason=failed.reason,
    )


async def _announce(
    event: Envelope,
    session: AsyncSession,
    context: IntegrationsContext,
    event_type: str,
    payload: CallScored | CallFailed,
    **outcome: Any,
) -> None:
    """Queue the Slack alerts of the rules the call meets (``outcome``: what happened)
    and the ``event_type`` delivery to every webhook that asked for it."""
    link = catalog.call_link(context.settings.public_base_url, payload.call_id)
    await slack.enqueue_alerts(
        session,
        org_id=event.org_id,
        event_id=str(event.id),
        outcome=Outcome(call_id=payload.call_id, link=link, **outcome),
    )
    await deliveries.enqueue(
        session,
        org_id=event.org_id,
        event_type=event_type,
        event_id=str(event.id),
        subject_id=payload.call_id,
        at=event.time,
        data=catalog.data(event_type, payload.model_dump(mode="json"), url=link),
    )


@events.handles(Topic.PRIVACY_REQUEST_COMPLETED)
async def on_privacy_request_completed(event: Envelope, session: AsyncSession) -> None:
    """``privacy.request.completed`` to every webhook of the organization that asked for
    it: the request's id, kind and outcome, never whom it was about."""
    done = event.payload_as(PrivacyRequestCompleted)
    await deliveries.enqueue(
        session,
        org_id=event.org_id,
        event_type=catalog.PRIVACY_REQUEST_COMPLETED,
        event_id=str(event.id),
        subject_id=done.request_id,
        at=event.time,
        data=catalog.data(catalog.PRIVACY_REQUEST_COMPLETED, done.model_dump(mode="json")),
    )


answer_privacy_requests(
    events, service=SERVICE, erase=privacy.erase_subject, export=privacy.export_subject
)
