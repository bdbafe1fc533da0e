"""Transcribe settings: environment variables prefixed ``TRANSCRIBE_``.

The Deepgram key is also read from the un-prefixed ``DEEPGRAM_API_KEY`` (the name
Deepgram's own tools use). Without a key the bundled faster-whisper model runs locally.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings
from transcribe.adapters.engines import TranscriptionConfig
from transcribe.adapters.whisper_engine import WhisperConfig


class TranscribeSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRANSCRIBE_", extra="ignore", populate_by_name=True
    )

    service_name: str = "transcribe"
    s3_bucket: str = "clashtor-transcribe"
    consumer_batch_size: int = Field(
        1, ge=1, description="transcription is slow: one call-uploaded per transaction"
    )

    language: str = Field("en", description="language of the calls (BCP-47)")

    deepgram_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("TRANSCRIBE_DEEPGRAM_API_KEY", "DEEPGRAM_API_KEY"),
        description="set to transcribe with Deepgram; unset = local faster-whisper",
    )
    deepgram_base_url: str = "https://api.deepgram.com"
    deepgram_model: str = "nova-3"
    deepgram_timeout: float = Field(300.0, gt=0, description="seconds per Deepgram request")
    deepgram_max_attempts: int = Field(4, ge=1)
    deepgram_retry_initial_wait: float = Field(1.0, ge=0)
    deepgram_retry_max_wait: float = Field(30.0, ge=0)

    whisper_model_path: Path | None = Field(
        None, description="a CTranslate2 Whisper model directory; None = the bundled tiny.en"
    )
    whisper_model_name: str = "tiny.en"
    whisper_compute_type: str = "int8"
    whisper_cpu_threads: int = Field(2, ge=1)
    whisper_beam_size: int = Field(1, ge=1)
    whisper_vad_filter: bool = True
    whisper_max_speakers: int = Field(2, ge=1)
    whisper_max_concurrent: int = Field(1, ge=1)

    temp_dir: str | None = Field(
        None, description="where decrypted audio waits during transcription; None = OS temp"
    )

    def transcription_config(self) -> TranscriptionConfig:
        """What the engines need, and nothing else (they never read the environment)."""
        key = self.deepgram_api_key.get_secret_value() if self.deepgram_api_key else None
        return TranscriptionConfig(
            deepgram_api_key=key or None,
            deepgram_base_url=self.deepgram_base_url,
            deepgram_model=self.deepgram_model,
            deepgram_timeout=self.deepgram_timeout,
            deepgram_max_attempts=self.deepgram_max_attempts,
            deepgram_retry_initial_wait=self.deepgram_retry_initial_wait,
            deepgram_retry_max_wait=self.deepgram_retry_max_wait,
            language=self.language,
            whisper=WhisperConfig(
                model_path=self.whisper_model_path,
                model_name=self.whisper_model_name,
                language=self.language,
                compute_type=self.whisper_compute_type,
                cpu_threads=self.whisper_cpu_threads,
                beam_size=self.whisper_beam_size,
                vad_filter=self.whisper_vad_filter,
                max_speakers=self.whisper_max_speakers,
                max_concurrent=self.whisper_max_concurrent,
            ),
        )
