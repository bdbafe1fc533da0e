"""Event handlers of the gateway service: one function per event, dependencies by name.

Each runs inside the consumer's transaction (inbox record included), so its effect
and the events it emits through the outbox commit together, once per event id. The
work itself is in ``service_layer``; a handler reads the event and announces the result.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    CallFailed,
    CallScored,
    CommentMentioned,
    Envelope,
    ErasureCompleted,
    ErasureRequested,
    ExportPartReady,
    ExportRequested,
    SubjectRestricted,
    Topic,
)
from clashtor_common.rights import answer_privacy_requests
from clashtor_common.subscriptions import Subscriptions
from gateway.adapters.call_views import CallViewCache
from gateway.context import Gateway
from gateway.service_layer import notifications, privacy_data

SERVICE = "gateway"
VIEW_SOURCES = frozenset({"ingest", "transcribe", "score"})
"""The services a call view (``GET /v1/calls/{id}``) is assembled from."""
events = Subscriptions()


@events.handles(Topic.CALL_SCORED)
async def on_call_scored(event: Envelope, session: AsyncSession) -> None:
    """Tell the uploader their call is scored."""
    scored = event.payload_as(CallScored)
    await notifications.record_call_scored(session, event.org_id, scored)


@events.handles(Topic.CALL_FAILED)
async def on_call_failed(event: Envelope, session: AsyncSession) -> None:
    """Tell the uploader their call failed (transcription or scoring)."""
    failed = event.payload_as(CallFailed)
    await notifications.record_call_failed(session, event.org_id, failed)


@events.handles(Topic.COMMENT_MENTIONED)
async def on_comment_mentioned(event: Envelope, session: AsyncSession) -> None:
    """Tell each user a comment on a call mentions (only users of the event's org)."""
    mentioned = event.payload_as(CommentMentioned)
    await notifications.record_mention(session, event.org_id, mentioned)


async def erase_account_data(
    gw: Gateway, session: AsyncSession, event: Envelope, request: ErasureRequested
) -> ErasureCompleted:
    """Erase the subject's account data and keep an ids-only tombstone.

    This replica's assembled views of the erased call (of every call of the
    organization, for a person or the whole organization) go at once: ingest refuses the
    call from now on anyway, this drops the plaintext too. Cached API key principals go
    when the erasure commits (an erased user's keys are deleted with the account)."""
    subject = request.subject
    gw.views.forget(event.org_id, subject.id if subject.type == "call" and subject.id else None)
    gw.api_keys.forget_all_after_commit(session)
    user_ids, removed = await privacy_data.erase(
        session, gw.exports, org_id=event.org_id, request_id=request.request_id, subject=subject
    )
    return ErasureCompleted(
        request_id=request.request_id,
        service=SERVICE,
        removed=removed,
        kept=privacy_data.KEPT,
        details=f"{len(user_ids)} user account(s) erased",
    )


@events.handles(Topic.ERASURE_COMPLETED)
async def on_erasure_completed(
    event: Envelope, session: AsyncSession, views: CallViewCache
) -> None:
    """A source of call views says it erased (its transaction committed): drop this
    replica's views of the organization again. The drop at ``erasure-requested`` came
    before the sources erased; a read in between could have cached the call anew (the
    answer names no call, so every view of the organization goes; erasures are rare)."""
    if event.payload_as(ErasureCompleted).service in VIEW_SOURCES:
        views.forget(event.org_id)


async def export_account_data(
    gw: Gateway, session: AsyncSession, event: Envelope, request: ExportRequested
) -> ExportPartReady:
    """Write the subject's account data, encrypted, to S3 and announce the link."""
    user_ids, ref, items = await privacy_data.export(
        session, gw.exports, event.org_id, request.request_id, request.subject
    )
    return ExportPartReady(
        request_id=request.request_id,
        service=SERVICE,
        part=ref,
        items=items,
        details=f"{len(user_ids)} user account(s)",
    )


answer_privacy_requests(
    events, service=SERVICE, erase=erase_account_data, export=export_account_data
)


@events.handles(Topic.SUBJECT_RESTRICTED)
async def on_subject_restricted(event: Envelope, session: AsyncSession) -> None:
    """An objection takes the subject's users out of usage analytics (and back in)."""
    change = event.payload_as(SubjectRestricted)
    if change.objected is not None:
        await privacy_data.apply_objection(session, event.org_id, change.subject, change.objected)
