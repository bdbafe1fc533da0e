"""Event handlers of the ingest service: one function per event, dependencies by name.

Each runs inside the bus's transaction (its effect, its inbox record and the events it
emits commit together), so a redelivered event changes nothing twice.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    CallFailed,
    CallProgressed,
    CallScored,
    CallTranscribed,
    Envelope,
    SubjectRectified,
    SubjectRestricted,
    SubscriptionChanged,
    Topic,
)
from clashtor_common.rights import answer_privacy_requests
from clashtor_common.subscriptions import Subscriptions
from ingest.adapters.plans_repo import apply_subscription
from ingest.context import IngestContext
from ingest.domain.status import CallStatus
from ingest.service_layer.privacy import (
    SERVICE,
    apply_rectification,
    erase_subject,
    export_subject,
    restrict_subject,
)
from ingest.service_layer.progress import record_progress, record_score, record_trackers

log = logging.getLogger(__name__)
#: Besides the handlers' answers, the upload route announces calls.
events = Subscriptions(also_produces=(Topic.CALL_UPLOADED,))


@events.handles(Topic.SUBSCRIPTION_CHANGED)
async def on_subscription_changed(event: Envelope, session: AsyncSession) -> None:
    """Keep the org's plan projection; older Stripe states never overwrite newer ones."""
    change = event.payload_as(SubscriptionChanged)
    await apply_subscription(session, event.org_id, change, event.time)


@events.handles(Topic.CALL_PROGRESSED)
async def on_call_progressed(event: Envelope, session: AsyncSession) -> None:
    """Transcription started or got further (``transcribing`` and its percent), or
    scoring started (``scoring``)."""
    step = event.payload_as(CallProgressed)
    if step.stage == "transcribe":
        await record_progress(
            session, event.org_id, step.call_id, CallStatus.TRANSCRIBING, percent=step.percent
        )
    else:
        await record_progress(session, event.org_id, step.call_id, CallStatus.SCORING)


@events.handles(Topic.CALL_TRANSCRIBED)
async def on_call_transcribed(event: Envelope, session: AsyncSession) -> None:
    done = event.payload_as(CallTranscribed)
    await record_progress(session, event.org_id, done.call_id, CallStatus.TRANSCRIBED)


@events.handles(Topic.CALL_SCORED)
async def on_call_scored(event: Envelope, session: AsyncSession) -> None:
    done = event.payload_as(CallScored)
    await record_progress(session, event.org_id, done.call_id, CallStatus.SCORED)
    await record_trackers(session, event.org_id, done.call_id, done.trackers)
    await record_score(session, event.org_id, done.call_id, done.overall_score)


@events.handles(Topic.CALL_FAILED)
async def on_call_failed(event: Envelope, session: AsyncSession) -> None:
    failed = event.payload_as(CallFailed)
    await record_progress(
        session,
        event.org_id,
        failed.call_id,
        CallStatus.FAILED,
        failed_stage=failed.stage,
        code=failed.code,
        reason=failed.reason,
    )


answer_privacy_requests(events, service=SERVICE, erase=erase_subject, export=export_subject)


@events.handles(Topic.SUBJECT_RESTRICTED)
async def on_subject_restricted(event: Envelope, session: AsyncSession) -> None:
    flags = event.payload_as(SubjectRestricted)
    await restrict_subject(
        session, event.org_id, flags.subject, restricted=flags.restricted, objected=flags.objected
    )


@events.handles(Topic.SUBJECT_RECTIFIED)
async def on_subject_rectified(
    event: Envelope, session: AsyncSession, context: IngestContext
) -> None:
    change = event.payload_as(SubjectRectified)
    updated = await apply_rectification(context, session, event.org_id, change)
    log.info("rectification %s: %d participant rows", change.request_id, updated)
