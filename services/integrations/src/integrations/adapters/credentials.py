"""Webhook URLs and signing secrets, sealed with the keyring and bound to their row.

A webhook URL is a credential too (Zapier's hook URLs are capability links), so both
are stored encrypted; the row id is the associated data, so a ciphertext moved onto
another subscription fails to decrypt instead of leaking the secret to another org.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from clashtor_common.crypto import Keyring
from integrations.adapters.tables import WebhookSubscription, as_utc

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _aad(sub_id: str, what: str) -> bytes:
    return f"integrations:webhook:{sub_id}:{what}".encode()


class Credentials:
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal_url(self, sub_id: str, url: str) -> bytes:
        return self.keyring.encrypt_text(url, aad=_aad(sub_id, "url"))

    def url(self, sub: WebhookSubscription) -> str:
        return self.keyring.decrypt_text(sub.url_enc, aad=_aad(sub.id, "url"))

    def seal_secret(self, sub_id: str, secret: str) -> bytes:
        return self.keyring.encrypt_text(secret, aad=_aad(sub_id, "secret"))

    def live_secrets(self, sub: WebhookSubscription, now: datetime) -> list[str]:
        """The current secret, and the previous one while its grace period lasts."""
        live = [self.keyring.decrypt_text(sub.secret_enc, aad=_aad(sub.id, "secret"))]
        until = as_utc(sub.previous_secret_until)
        if sub.previous_secret_enc and until and until > now:
            live.append(
                self.keyring.decrypt_text(sub.previous_secret_enc, aad=_aad(sub.id, "secret"))
            )
        return live
