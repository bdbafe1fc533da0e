"""Score settings: environment variables prefixed ``SCORE_``.

The OpenAI key is also read from the un-prefixed ``OPENAI_API_KEY`` (the name every
OpenAI tool uses); without a key the deterministic local coaching engine is used.
"""

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class ScoreSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_", extra="ignore", populate_by_name=True)

    service_name: str = "score"
    transcribe_url: str = "http://127.0.0.1:8002"
    """transcribe's internal API: the transcript's data key is asked of it
    (``clashtor_common.keyservice``)."""
    consumer_batch_size: int = 1
    """Scoring is slow work (seconds with OpenAI): one event per transaction keeps each
    transaction short instead of holding a batch's writes open while the next call scores."""

    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SCORE_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_model: str = "gpt-4o-mini"
    openai_base_url: str | None = None
    """None: the OpenAI API itself; tests point it at a local Chat Completions server."""
    openai_timeout_seconds: float = Field(60.0, gt=0)
    openai_connect_timeout_seconds: float = Field(5.0, gt=0)
    openai_http_attempts: int = Field(4, ge=1)
    openai_retry_initial_seconds: float = Field(1.0, ge=0)
    openai_retry_max_seconds: float = Field(30.0, ge=0)
    openai_reply_attempts: int = Field(2, ge=1)

    rescore_batch_size: int = Field(10, ge=1, le=500)
    """Calls a re-score job re-scores per transaction (its progress moves per batch)."""
    rescore_poll_seconds: float = Field(5.0, ge=0)
    """How often the re-score worker looks for running jobs (a new job wakes it at once;
    at start it resumes what a restart interrupted); 0 = no worker."""
