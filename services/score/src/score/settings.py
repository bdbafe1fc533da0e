"""Score settings: environment variables prefixed ``SCORE_``."""

from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class ScoreSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_", extra="ignore")

    service_name: str = "score"
