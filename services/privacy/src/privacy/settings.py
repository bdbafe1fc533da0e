"""Privacy settings: environment variables prefixed ``PRIVACY_``.

Lists (``PRIVACY_ERASURE_SERVICES``, ``PRIVACY_EXPORT_SERVICES``) accept JSON
(``["ingest","billing"]``) or a comma-separated string (``ingest,billing``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from clashtor_common.settings import ServiceSettings

DEFAULT_SERVICES = ["ingest", "transcribe", "score", "billing", "integrations", "gateway"]
DEV_DOWNLOAD_SECRET = "dev-privacy-download-secret-change-me"
#: base64 of the 32-byte Ed25519 seed b"dev-certificate-signing-key-0001"; refused in production.
DEV_CERTIFICATE_SIGNING_KEY = "ZGV2LWNlcnRpZmljYXRlLXNpZ25pbmcta2V5LTAwMDE="

ServiceList = Annotated[list[str], NoDecode]


class PrivacySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRIVACY_", extra="ignore")
    dev_secrets: ClassVar[dict[str, str]] = {
        **ServiceSettings.dev_secrets,
        "download_secret": DEV_DOWNLOAD_SECRET,
        "certificate_signing_key": DEV_CERTIFICATE_SIGNING_KEY,
    }

    service_name: str = "privacy"
    s3_bucket: str = "clashtor-privacy"

    erasure_services: ServiceList = Field(
        default_factory=lambda: list(DEFAULT_SERVICES),
        description="services that must acknowledge every erasure request",
    )
    export_services: ServiceList = Field(
        default_factory=lambda: list(DEFAULT_SERVICES),
        description="services that must deliver an export part for every export request",
    )
    erasure_resend_after_seconds: float = Field(
        600, gt=0, description="a service silent this long gets the request re-sent"
    )
    erasure_max_attempts: int = Field(
        12, ge=1, description="sends per service before the request is marked failed"
    )
    export_timeout_seconds: float = Field(
        1800, gt=0, description="an export missing a part after this long fails"
    )
    export_bundle_ttl_seconds: int = Field(
        7 * 24 * 3600, gt=0, description="finished bundles are deleted from S3 after this"
    )
    max_part_bytes: int = Field(
        512 * 1024 * 1024, gt=0, description="largest encrypted export part accepted"
    )
    download_link_ttl_seconds: int = Field(900, gt=0)
    download_secret: SecretStr = SecretStr(DEV_DOWNLOAD_SECRET)
    certificate_signing_key: SecretStr = Field(
        SecretStr(DEV_CERTIFICATE_SIGNING_KEY),
        description="base64 of an Ed25519 private key (32 bytes) that signs erasure certificates",
    )
    account_grace_days: int = Field(30, ge=0, description="days a deleted account stays restorable")
    scheduler_interval_seconds: float = Field(30, gt=0)
    retention_interval_seconds: float = Field(
        24 * 3600, gt=0, description="how often calls past their org's retention are erased"
    )

    @field_validator("erasure_services", "export_services", mode="before")
    @classmethod
    def _split_services(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [s.strip() for s in text.split(",") if s.strip()]
        return value

    @field_validator("erasure_services", "export_services")
    @classmethod
    def _distinct_names(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one service is required")
        if len(set(value)) != len(value):
            raise ValueError("service names must be distinct")
        if "privacy" in value:
            raise ValueError("privacy answers for itself; do not list it")
        return value
