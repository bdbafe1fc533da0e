"""Billing settings: environment variables prefixed ``BILLING_``."""

from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    service_name: str = "billing"
