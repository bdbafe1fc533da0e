"""Transcribe settings: environment variables prefixed ``TRANSCRIBE_``."""

from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class TranscribeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSCRIBE_", extra="ignore")

    service_name: str = "transcribe"
