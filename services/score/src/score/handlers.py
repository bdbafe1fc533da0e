"""Event handlers of the score service: one function per event, dependencies by name.

Each runs inside the consumer's transaction (inbox + effect + emitted events commit
together), so a redelivered event changes nothing twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import (
    CallTranscribed,
    Envelope,
    SubjectRestricted,
    Topic,
)
from clashtor_common.rights import answer_privacy_requests
from clashtor_common.subscriptions import Subscriptions
from score.context import ScoreContext
from score.service_layer import privacy
from score.service_layer.scoring import score_transcribed_call

#: Besides the handlers' answers, a comment's mentions are announced by the comments API.
events = Subscriptions(also_produces=(Topic.COMMENT_MENTIONED,))


@events.handles(
    Topic.CALL_TRANSCRIBED, emits=(Topic.CALL_PROGRESSED, Topic.CALL_SCORED, Topic.CALL_FAILED)
)
async def on_call_transcribed(
    event: Envelope, session: AsyncSession, context: ScoreContext
) -> None:
    """Score the call (once) and announce call-scored, or call-failed if it cannot be."""
    call = event.payload_as(CallTranscribed)
    await score_transcribed_call(
        context, session, org_id=event.org_id, event_id=str(event.id), call=call
    )


answer_privacy_requests(
    events, service=privacy.SERVICE, erase=privacy.erase_subject, export=privacy.export_subject
)


@events.handles(Topic.SUBJECT_RESTRICTED)
async def on_subject_restricted(event: Envelope, session: AsyncSession) -> None:
    """An objection takes the subject's calls out of team analytics (or back in)."""
    change = event.payload_as(SubjectRestricted)
    await privacy.record_objection(session, event.org_id, change)
