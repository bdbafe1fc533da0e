"""Event handlers of the billing service: one function per event, dependencies by name.

Each runs inside the consumer's transaction (inbox + effect + emitted events commit
together), so a redelivered event changes nothing twice.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.stripe_gateway import StripeRejected
from billing.context import BillingContext
from billing.domain.usage import InvalidDuration
from billing.service_layer import privacy, rectification
from billing.service_layer.usage import record_call_usage
from clashtor_common.bus import PermanentError
from clashtor_common.events import (
    CallTranscribed,
    Envelope,
    SubjectRectified,
    Topic,
)
from clashtor_common.rights import answer_privacy_requests
from clashtor_common.subscriptions import Subscriptions

log = logging.getLogger(__name__)
#: Besides the handlers' answers, plan changes are announced by the Stripe webhook route.
events = Subscriptions(also_produces=(Topic.SUBSCRIPTION_CHANGED,))


@events.handles(Topic.CALL_TRANSCRIBED)
async def on_call_transcribed(
    event: Envelope, session: AsyncSession, context: BillingContext
) -> None:
    """A transcribed call's minutes go into the ledger once (reported to Stripe later)."""
    call = event.payload_as(CallTranscribed)
    try:
        await record_call_usage(session, event, call, stripe_configured=context.stripe is not None)
    except InvalidDuration as exc:
        raise PermanentError(f"call {call.call_id}: {exc}") from exc


answer_privacy_requests(
    events, service=privacy.SERVICE, erase=privacy.erase_subject, export=privacy.export_subject
)


@events.handles(Topic.SUBJECT_RECTIFIED)
async def on_subject_rectified(
    event: Envelope, session: AsyncSession, context: BillingContext
) -> None:
    """A user's or organization's new name/email reaches the Stripe customer, if theirs."""
    change = event.payload_as(SubjectRectified)
    deps = rectification.RectificationDeps(
        gateway=context.stripe,
        keyring=context.keyring,
        s3=context.s3,
        fingerprint_secret=context.fingerprint_secret,
    )
    try:
        outcome = await rectification.rectify_customer(session, change, event.org_id, deps)
    except StripeRejected as exc:  # the values themselves are refused: retrying cannot help
        raise PermanentError(f"rectification {change.request_id}: {exc}") from exc
    log.info("rectification %s: %s", change.request_id, outcome)
