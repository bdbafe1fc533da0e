"""/v1/billing forwarded to billing; /webhooks/stripe forwarded byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


async def test_plans_usage_checkout_and_portal_are_forwarded(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    plans = await owner.client.get("/v1/billing/plans")
    assert plans.status_code == 200 and plans.json()["plans"][0]["name"] == "starter"
    usage = await owner.client.get("/v1/billing/usage")
    assert usage.json()["minutes_used"] == 12
    checkout = await owner.client.post("/v1/billing/checkout", json={"plan": "team"})
    assert checkout.json()["url"] == f"https://checkout.example/{owner.org_id}/team"
    portal = await owner.client.post("/v1/billing/portal", json={})
    assert portal.json()["url"] == f"https://portal.example/{owner.org_id}"


async def test_a_checkouts_idempotency_key_reaches_billing(api: Any, fake_state: Any) -> None:
    """Billing derives Stripe's idempotency key from it (same key, same Checkout Session:
    services/billing/tests/integration/test_checkout_api.py), so it must get there; a
    checkout without one reaches billing without one."""
    owner = await api.signup()
    keyed = {**owner.csrf, "Idempotency-Key": "checkout-7"}
    first = await owner.client.post("/v1/billing/checkout", json={"plan": "team"}, headers=keyed)
    await owner.client.post("/v1/billing/checkout", json={"plan": "team"})
    assert first.status_code == 200, first.text
    assert fake_state.checkout_keys[-2:] == ["checkout-7", None]


async def test_a_downstream_404_keeps_its_code_and_message(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/billing/checkout", json={"plan": "gold"})
    assert resp.status_code == 404
    assert resp.json() == {"error": {"code": "not_found", "message": "plan 'gold' not found"}}


async def test_reps_see_no_billing(api: Any) -> None:
    rep = await api.invite(await api.signup(), "rep")
    assert (await rep.client.get("/v1/billing/usage")).status_code == 403
    assert (await rep.client.post("/v1/billing/checkout", json={"plan": "team"})).status_code == 403


async def test_stripe_webhook_reaches_billing_untouched(
    api: Any, fake_state: Any, stripe_signer: Callable[[bytes], str]
) -> None:
    # odd spacing and key order: any re-encoding would break Stripe's signature
    payload = json.dumps(
        {"id": "evt_test_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}},
        separators=(" ,", ":  "),
    ).encode()
    signature = stripe_signer(payload)
    resp = await api.client().post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": signature, "content-type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    assert fake_state.webhooks[-1] == {"id": "evt_test_1", "raw": payload}
    forwarded = [s for s in fake_state.seen if s.path == "/internal/webhooks/stripe"][-1]
    assert forwarded.identity is None


async def test_a_bad_stripe_signature_is_refused_by_billing(
    api: Any, stripe_signer: Callable[[bytes], str]
) -> None:
    payload = b'{"id": "evt_forged", "object": "event"}'
    resp = await api.client().post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": stripe_signer(b"{}"), "content-type": "application/json"},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_signature"
