"""Billing and quotas across services: free tier → 402, a Stripe subscription lifts it,
and transcribed minutes are metered once."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import stripe

from clashtor_callgen import sox_signal
from clashtor_common.testing.stripe_objects import stripe_event, subscription_object

from ..conftest import FREE_PLAN_MINUTES, STRIPE_WEBHOOK_SECRET
from .client import POLL_SECONDS, Clashtor
from .stack import Stack


def silent_call(path: Path, seconds: int, variant: int) -> Path:
    """A long, quiet stereo FLAC (tiny on disk); ``variant`` makes the bytes unique."""
    return sox_signal(path, seconds, ("sine", str(100 + variant)), sample_rate=8000, volume=0.0005)


def subscription_event(org_id: str, plan: str) -> dict[str, Any]:
    """customer.subscription.created: five seats of ``plan``, no metered overage."""
    sub = subscription_object(
        org_id=org_id, plan=plan, seats=5, period_start=int(time.time()) - 60, metered=False
    )
    return stripe_event("customer.subscription.created", sub)


def test_free_tier_quota_then_a_subscription_lifts_it(
    api: Clashtor, stack: Stack, tmp_path: Path
) -> None:
    org_id = api.http.get("/v1/me", headers=api.bearer).json()["organization"]["id"]
    long_call = api.upload(
        silent_call(tmp_path / "a.flac", (FREE_PLAN_MINUTES - 1) * 60, 1),
        title="Long",
        participants=[],
    )
    refused = api.http.post(
        "/v1/calls",
        headers=api.bearer,
        files={"file": ("b.flac", silent_call(tmp_path / "b.flac", 120, 2).read_bytes())},
    )
    assert refused.status_code == 402, refused.text
    assert "minute" in refused.json()["error"]["message"]

    # A signed Stripe webhook through the public endpoint; billing announces the plan.
    body = json.dumps(subscription_event(org_id, "team"))
    signature = stripe.WebhookSignature.generate_signature_header(body, STRIPE_WEBHOOK_SECRET)
    hook = api.http.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": signature, "content-type": "application/json"},
    )
    assert hook.status_code == 200, hook.text
    forged = api.http.post(
        "/webhooks/stripe",
        content=body.replace("team", "business"),
        headers={"Stripe-Signature": signature, "content-type": "application/json"},
    )
    assert forged.status_code == 400

    deadline = time.monotonic() + 60
    while True:
        with (tmp_path / "b.flac").open("rb") as fh:
            again = api.http.post("/v1/calls", headers=api.bearer, files={"file": ("b.flac", fh)})
        if again.status_code == 202 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert again.status_code == 202, again.text

    # Minutes are metered once per call from call-transcribed: the long call's + 2.
    api.wait_for_status(long_call["id"], "scored", timeout=300)
    api.wait_for_status(again.json()["id"], "scored", timeout=300)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        usage = api.http.get("/v1/billing/usage", headers=api.bearer).json()
        if usage["minutes_used"] >= FREE_PLAN_MINUTES + 1:
            break
        time.sleep(POLL_SECONDS)
    assert usage["minutes_used"] == FREE_PLAN_MINUTES + 1, usage
