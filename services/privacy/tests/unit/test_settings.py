"""Privacy settings: service lists from the environment, no development secret in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from privacy.settings import PrivacySettings


def test_service_lists_accept_json_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACY_ERASURE_SERVICES", "ingest, billing")
    monkeypatch.setenv("PRIVACY_EXPORT_SERVICES", '["score"]')
    settings = PrivacySettings()
    assert settings.erasure_services == ["ingest", "billing"]
    assert settings.export_services == ["score"]


def test_the_default_fan_out_is_every_service_that_holds_data() -> None:
    assert PrivacySettings().erasure_services == [
        "ingest",
        "transcribe",
        "score",
        "billing",
        "integrations",
        "gateway",
    ]


@pytest.mark.parametrize("services", [[], ["ingest", "ingest"], ["privacy"]])
def test_a_fan_out_list_that_cannot_work_is_refused(services: list[str]) -> None:
    with pytest.raises(ValidationError):
        PrivacySettings(erasure_services=services)


def test_production_refuses_the_development_download_secret() -> None:
    with pytest.raises(ValidationError, match="download_secret"):
        PrivacySettings(
            environment="production",
            master_keys="k:" + "A" * 44,
            identity_secret="i" * 32,
            fingerprint_secret="f" * 32,
        )


def test_production_refuses_the_development_certificate_signing_key() -> None:
    secrets = {
        "master_keys": "k:" + "A" * 44,
        "identity_secret": "i" * 32,
        "fingerprint_secret": "f" * 32,
        "download_secret": "d" * 32,
    }
    with pytest.raises(ValidationError, match="certificate_signing_key"):
        PrivacySettings(environment="production", **secrets)
    key = "c2lnbmluZy1rZXktZm9yLXByb2R1Y3Rpb24tdXNlLTE="  # 32 bytes, not the dev one
    settings = PrivacySettings(environment="production", certificate_signing_key=key, **secrets)
    assert settings.certificate_signing_key.get_secret_value() == key
