"""Pick the transcription engine from configuration: Deepgram when keyed, else local.

The composition root (``bootstrap``) builds a ``TranscriptionConfig`` from the service
settings and calls ``make_engine`` once; handlers get the engine and call
``await engine.transcribe(audio)``. Nothing here reads environment variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clashtor_common.events.transcript import Transcript
from transcribe.adapters.deepgram_engine import DeepgramConfig, DeepgramEngine
from transcribe.adapters.whisper_engine import WhisperConfig, WhisperEngine
from transcribe.domain.ports import AudioInput, TranscriptionEngine


@dataclass(frozen=True)
class TranscriptionConfig:
    """Everything the engines need, passed in from the service settings."""

    deepgram_api_key: str | None = None
    deepgram_base_url: str = "https://api.deepgram.com"
    deepgram_model: str = "nova-3"
    deepgram_timeout: float = 300.0
    deepgram_max_attempts: int = 4
    deepgram_retry_initial_wait: float = 1.0
    deepgram_retry_max_wait: float = 30.0
    language: str = "auto"
    whisper: WhisperConfig = field(default_factory=WhisperConfig)

    @property
    def engine_name(self) -> str:
        return "deepgram" if self.deepgram_api_key else "local"


def make_engine(config: TranscriptionConfig) -> TranscriptionEngine:
    """Deepgram when an API key is configured, local faster-whisper otherwise."""
    if config.deepgram_api_key:
        return DeepgramEngine(
            DeepgramConfig(
                api_key=config.deepgram_api_key,
                base_url=config.deepgram_base_url,
                model=config.deepgram_model,
                language=config.language,
                timeout=config.deepgram_timeout,
                max_attempts=config.deepgram_max_attempts,
                retry_initial_wait=config.deepgram_retry_initial_wait,
                retry_max_wait=config.deepgram_retry_max_wait,
            )
        )
    return WhisperEngine(config.whisper)


async def transcribe(audio: AudioInput, *, config: TranscriptionConfig) -> Transcript:
    """One-shot convenience: build the configured engine, transcribe ``audio``, close it."""
    engine = make_engine(config)
    try:
        return await engine.transcribe(audio)
    finally:
        await engine.aclose()
