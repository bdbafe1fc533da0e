"""Signatures are Standard Webhooks ones: the reference library verifies them, with
either secret during a rotation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations.adapters.credentials import new_secret
from integrations.adapters.sender import sign


def _headers(msg_id: str, at: datetime, signature: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def test_secrets_have_the_whsec_form() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and secret != new_secret()
    Webhook(secret)  # the library accepts it


def test_every_live_secret_verifies_and_no_other() -> None:
    current, previous, stranger = new_secret(), new_secret(), new_secret()
    at = datetime.now(UTC)
    body = '{"type":"call.scored","timestamp":"x","data":{}}'
    signature = sign([current, previous], "msg_1", at, body)
    assert signature.count("v1,") == 2
    for secret in (current, previous):
        assert Webhook(secret).verify(body, _headers("msg_1", at, signature))["type"] == (
            "call.scored"
        )
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body, _headers("msg_1", at, signature))
    with pytest.raises(WebhookVerificationError):
        Webhook(current).verify(body + " ", _headers("msg_1", at, signature))
