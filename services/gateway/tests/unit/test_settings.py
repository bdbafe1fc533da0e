"""Production refuses the gateway's published development CSRF secret, like the shared ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import GatewaySettings

PRODUCTION_SECRETS = {
    "environment": "production",
    "master_keys": "k:" + "A" * 44,
    "identity_secret": "i" * 32,
    "fingerprint_secret": "f" * 32,
}


def test_production_refuses_the_development_csrf_secret() -> None:
    with pytest.raises(ValidationError, match="csrf_secret must be set outside development"):
        GatewaySettings(**PRODUCTION_SECRETS)
    settings = GatewaySettings(**PRODUCTION_SECRETS, csrf_secret="c" * 32)
    assert settings.csrf_secret.get_secret_value() == "c" * 32


def test_every_refused_secret_is_a_setting() -> None:
    assert set(GatewaySettings.dev_secrets) <= set(GatewaySettings.model_fields)
