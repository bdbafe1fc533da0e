"""Privacy settings: environment variables prefixed ``PRIVACY_``."""

from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class PrivacySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRIVACY_", extra="ignore")

    service_name: str = "privacy"
