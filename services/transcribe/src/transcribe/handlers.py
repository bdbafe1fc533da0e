"""Event handlers of the transcribe service: one function per event, dependencies by name.

Each runs inside the bus's transaction (its effect, its inbox record and the events it
emits commit together), so a redelivered event changes nothing twice. The work itself
lives in ``service_layer``; a handler checks the payload and picks the use case.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.bus import PermanentError
from clashtor_common.events import (
    CallUploaded,
    Envelope,
    ErasureRequested,
    EventPayload,
    ExportRequested,
    SubjectRestricted,
)
from clashtor_common.service import ServiceRuntime
from transcribe.context import SERVICE, context_of
from transcribe.service_layer.privacy import erase_subject, export_subject, restrict_subject
from transcribe.service_layer.transcription import handle_upload

log = logging.getLogger(__name__)

P = TypeVar("P", bound=EventPayload)


def payload_as(event: Envelope, model: type[P]) -> P:
    """The event's typed payload; a mismatched payload can never succeed (dead letter)."""
    payload = event.payload()
    if not isinstance(payload, model):
        raise PermanentError(f"{event.type} carries {type(payload).__name__}, not {model.__name__}")
    return payload


async def on_call_uploaded(event: Envelope, session: AsyncSession, runtime: ServiceRuntime) -> None:
    """Transcribe the call once (or record why not) and announce the result."""
    upload = payload_as(event, CallUploaded)
    await handle_upload(context_of(runtime), session, event, upload)


async def on_erasure_requested(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    request = payload_as(event, ErasureRequested)
    if request.services is not None and SERVICE not in request.services:
        return
    await erase_subject(context_of(runtime), session, event, request)


async def on_export_requested(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    request = payload_as(event, ExportRequested)
    items = await export_subject(context_of(runtime), session, event, request)
    log.info("export %s (%s): %d calls", request.request_id, request.subject.type, items)


async def on_subject_restricted(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """Remember which participants restricted processing: their next calls wait untouched."""
    await restrict_subject(session, event, payload_as(event, SubjectRestricted))
