"""Event handlers of the gateway service: one function per event, dependencies by name.

Each runs inside the consumer's transaction (inbox record included), so its effect
and the events it emits through the outbox commit together, once per event id.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    CallScored,
    Envelope,
    ErasureCompleted,
    ErasureRequested,
    EventPayload,
    ExportPartReady,
    ExportRequested,
    ObjectRef,
    SubjectRestricted,
    make_event,
)
from clashtor_common.outbox import emit
from clashtor_common.service import ServiceRuntime
from gateway.adapters.tables import ExportObject, UsageEvent
from gateway.bootstrap import gateway_of
from gateway.service_layer import notifications, privacy_data

SERVICE = "gateway"
P = TypeVar("P", bound=EventPayload)


def _payload(event: Envelope, kind: type[P]) -> P:
    payload = event.payload()
    assert isinstance(payload, kind), f"{event.type} is not {kind.__name__}"
    return payload


async def on_call_scored(event: Envelope, session: AsyncSession, runtime: ServiceRuntime) -> None:
    """Tell the uploader their call is scored."""
    scored = _payload(event, CallScored)
    await notifications.record_call_scored(session, event.org_id, scored)


async def on_erasure_requested(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """Erase the subject's account data, keep an ids-only tombstone, acknowledge."""
    request = _payload(event, ErasureRequested)
    if request.services is not None and SERVICE not in request.services:
        return
    gw = gateway_of(runtime)
    user_ids, removed = await privacy_data.erase(
        session,
        gw.exports,
        org_id=event.org_id,
        request_id=request.request_id,
        subject=request.subject,
    )
    await emit(
        session,
        make_event(
            ErasureCompleted(
                request_id=request.request_id,
                service=SERVICE,
                removed=removed,
                kept=privacy_data.KEPT,
                details=f"{len(user_ids)} user account(s) erased",
            ),
            source=SERVICE,
            org_id=event.org_id,
            subject_ids=user_ids,
        ),
    )


async def on_export_requested(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """Write the subject's account data, encrypted, to S3 and announce the link."""
    request = _payload(event, ExportRequested)
    gw = gateway_of(runtime)
    user_ids, part = await privacy_data.collect_export(
        session, event.org_id, request.request_id, request.subject
    )
    items = len(part["items"])
    ref: ObjectRef | None = None
    if items:
        key = privacy_data.export_key(event.org_id, request.request_id)
        ref = await gw.exports.put_part(key, part)
        existing = (
            await session.execute(select(ExportObject).where(ExportObject.object_key == key))
        ).scalar_one_or_none()
        if existing is None:
            session.add(
                ExportObject(
                    org_id=event.org_id,
                    request_id=request.request_id,
                    object_key=key,
                    user_ids=user_ids,
                )
            )
    await emit(
        session,
        make_event(
            ExportPartReady(
                request_id=request.request_id,
                service=SERVICE,
                part=ref,
                items=items,
                details=f"{len(user_ids)} user account(s)",
            ),
            source=SERVICE,
            org_id=event.org_id,
            subject_ids=user_ids,
        ),
    )


async def on_subject_restricted(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """An objection takes the subject's users out of usage analytics (and back in)."""
    change = _payload(event, SubjectRestricted)
    if change.objected is None:
        return
    users = await privacy_data.subject_users(session, event.org_id, change.subject)
    for user in users:
        user.analytics_opt_out = change.objected
    if change.objected and users:  # past rows lose the user id too
        await session.execute(
            update(UsageEvent)
            .where(
                UsageEvent.org_id == event.org_id,
                UsageEvent.user_id.in_([u.id for u in users]),  # type: ignore[union-attr]
            )
            .values(user_id=None)
        )
