"""Ingest settings: environment variables prefixed ``INGEST_``."""

from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    service_name: str = "ingest"
