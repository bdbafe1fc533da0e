"""Transcribe settings: environment variables prefixed ``TRANSCRIBE_``.

The Deepgram key is also read from the un-prefixed ``DEEPGRAM_API_KEY`` (the name
Deepgram's own tools use). Without a key faster-whisper runs locally with a packaged
model (Whisper base by default, tiny.en by setting).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings
from transcribe.adapters.deepgram_engine import DeepgramConfig
from transcribe.adapters.engines import TranscriptionConfig
from transcribe.adapters.models import BASE, MODEL_NAMES
from transcribe.adapters.whisper_engine import WhisperConfig

_LANGUAGE = re.compile(r"[a-z]{2,3}")


class TranscribeSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRANSCRIBE_", extra="ignore", populate_by_name=True
    )

    service_name: str = "transcribe"
    ingest_url: str = "http://127.0.0.1:8001"
    """ingest's internal API: the audio's data key is asked of it (``clashtor_common.keyservice``)."""
    s3_bucket: str = "clashtor-transcribe"
    consumer_batch_size: int = Field(
        1, ge=1, description="call-uploaded events admitted to the queue per transaction"
    )
    concurrency: int = Field(
        1, ge=1, description="calls transcribed at once by this process (queue workers)"
    )
    fair_scheduling: bool = Field(
        True,
        description="organizations take turns in the queue; false = first come, first served",
    )
    job_lease_seconds: float = Field(
        60.0, ge=1, description="a worker's hold on a job, renewed while it works"
    )
    job_poll_seconds: float = Field(
        1.0, gt=0, description="how often an idle worker looks for jobs other replicas queued"
    )

    language: str = Field(
        "auto", description="language of the calls (ISO 639-1), or 'auto' to detect per call"
    )
    org_languages: dict[str, str] = Field(
        default_factory=dict,
        description="organization id -> language of its calls (JSON); wins over 'language'",
    )

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
        None, description="a CTranslate2 Whisper model directory; None = the packaged model"
    )
    whisper_model_name: str = Field(
        BASE, description="packaged model: 'base' (multilingual) or 'tiny.en' (faster, English)"
    )
    whisper_compute_type: str = "int8"
    whisper_cpu_threads: int = Field(2, ge=1)
    whisper_beam_size: int = Field(5, ge=1)
    whisper_window_seconds: float = Field(
        120.0, ge=30, description="audio recognized at a time; bounds memory on long calls"
    )
    whisper_vad_filter: bool = True
    whisper_max_speakers: int = Field(2, ge=1)
    whisper_max_concurrent: int = Field(1, ge=1)

    temp_dir: str | None = Field(
        None, description="where decrypted audio waits during transcription; None = OS temp"
    )

    @model_validator(mode="after")
    def _known_model_and_languages(self) -> TranscribeSettings:
        if self.whisper_model_path is None and self.whisper_model_name not in MODEL_NAMES:
            raise ValueError(
                f"TRANSCRIBE_WHISPER_MODEL_NAME={self.whisper_model_name!r} is not packaged: "
                f"choose {' or '.join(MODEL_NAMES)}, or set TRANSCRIBE_WHISPER_MODEL_PATH"
            )
        for where, code in [("LANGUAGE", self.language), *self.org_languages.items()]:
            if code != "auto" and not _LANGUAGE.fullmatch(code):
                raise ValueError(f"language {code!r} for {where} is not an ISO 639-1 code")
        return self

    def transcription_config(self) -> TranscriptionConfig:
        """What the engines need, and nothing else (they never read the environment)."""
        return TranscriptionConfig(
            deepgram=self._deepgram_config(),
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
                window_seconds=self.whisper_window_seconds,
            ),
        )

    def _deepgram_config(self) -> DeepgramConfig | None:
        """Deepgram's configuration when a key is set; None runs the local engine."""
        key = self.deepgram_api_key.get_secret_value() if self.deepgram_api_key else None
        if not key:
            return None
        return DeepgramConfig(
            api_key=key,
            base_url=self.deepgram_base_url,
            model=self.deepgram_model,
            language=self.language,
            timeout=self.deepgram_timeout,
            max_attempts=self.deepgram_max_attempts,
            retry_initial_wait=self.deepgram_retry_initial_wait,
            retry_max_wait=self.deepgram_retry_max_wait,
        )
