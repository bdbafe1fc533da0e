"""Event handlers of the transcribe service: one function per event, dependencies by name.

Each runs inside the bus's transaction (its effect, its inbox record and the events it
emits commit together), so a redelivered event changes nothing twice. The work itself
lives in ``service_layer``; a handler checks the payload and picks the use case.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    CallUploaded,
    Envelope,
    SubjectRestricted,
    Topic,
)
from clashtor_common.rights import answer_privacy_requests
from clashtor_common.subscriptions import Subscriptions
from transcribe.context import SERVICE, TranscribeContext
from transcribe.service_layer.privacy import erase_subject, export_subject, restrict_subject
from transcribe.service_layer.transcription import admit_upload

events = Subscriptions()


@events.handles(
    Topic.CALL_UPLOADED, emits=(Topic.CALL_PROGRESSED, Topic.CALL_TRANSCRIBED, Topic.CALL_FAILED)
)
async def on_call_uploaded(
    event: Envelope, session: AsyncSession, context: TranscribeContext
) -> None:
    """Queue the call for transcription (or record at once why not): the queue's workers
    transcribe it once, organizations taking turns, and announce the result."""
    upload = event.payload_as(CallUploaded)
    await admit_upload(context, session, event, upload)


answer_privacy_requests(events, service=SERVICE, erase=erase_subject, export=export_subject)


@events.handles(Topic.SUBJECT_RESTRICTED)
async def on_subject_restricted(event: Envelope, session: AsyncSession) -> None:
    """Remember which participants restricted processing: their next calls wait untouched."""
    await restrict_subject(session, event, event.payload_as(SubjectRestricted))
