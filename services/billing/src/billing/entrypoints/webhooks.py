"""``POST /internal/webhooks/stripe``: Stripe's events, forwarded raw by the gateway.

No identity header here: the Stripe signature is the authentication. The body is
checked with the official library (``stripe.Webhook.construct_event``, 300 s
tolerance) before anything is read or recorded; a bad or stale signature is a 400.

The library only bounds a signature's age in the past. A signature dated far in the
future is refused here too (same tolerance): it can only come from a leaked signing
secret or a badly wrong clock, and accepting it would let a captured delivery be
replayed for as long as its date lies ahead.
"""

from __future__ import annotations

import json
import logging
import time

import stripe
from fastapi import APIRouter, Request

from billing.adapters.stripe_gateway import StripeRejected, StripeUnavailable
from billing.entrypoints.deps import ContextDep
from billing.service_layer.webhooks import MalformedEvent
from clashtor_common.errors import ApiError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks")
MAX_BODY_BYTES = 1024 * 1024


def signed_at(header: str) -> int:
    """The ``t=`` timestamp of a Stripe-Signature header, read as the library reads it
    (the first ``t``); only called once the library has verified the header."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise ValueError("no timestamp in the Stripe-Signature header")


def ensure_not_from_the_future(header: str | None, tolerance_seconds: int) -> None:
    timestamp = signed_at(header or "")
    if timestamp > time.time() + tolerance_seconds:
        raise stripe.SignatureVerificationError(
            f"Timestamp {timestamp} is more than {tolerance_seconds} s in the future",
            header,
        )


@router.post("/stripe")
async def stripe_webhook(request: Request, context: ContextDep) -> dict[str, object]:
    settings = context.settings
    secret = settings.stripe_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise ApiError(
            503,
            "webhooks_not_configured",
            "no Stripe webhook secret configured (set STRIPE_WEBHOOK_SECRET)",
        )
    payload = await request.body()
    if len(payload) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"webhook body over {MAX_BODY_BYTES} bytes")
    signature = request.headers.get("Stripe-Signature")
    try:
        stripe.Webhook.construct_event(
            payload,
            signature,
            secret.get_secret_value(),
            tolerance=settings.webhook_tolerance_seconds,
        )
        ensure_not_from_the_future(signature, settings.webhook_tolerance_seconds)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise ApiError(400, "invalid_signature", f"Stripe signature rejected: {exc}") from exc
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError, KeyError) as exc:
        # Signed, but not a JSON object: the library itself trips over it.
        raise ApiError(400, "invalid_payload", "webhook body is not a JSON Stripe event") from exc
    try:
        outcome = await context.webhooks.process(event)
    except MalformedEvent as exc:
        raise ApiError(400, "invalid_payload", str(exc)) from exc
    except StripeUnavailable as exc:
        # Stripe retries the delivery; nothing was recorded.
        raise ApiError(503, "stripe_unavailable", str(exc)) from exc
    except StripeRejected as exc:
        raise ApiError(502, "stripe_rejected", str(exc)) from exc
    return {
        "received": True,
        "event_id": outcome.event_id,
        "type": outcome.type,
        "outcome": outcome.outcome,
    }
