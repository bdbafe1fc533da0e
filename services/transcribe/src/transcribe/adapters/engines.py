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
    """Everything the engines need, passed in from the service settings: Deepgram's
    configuration when an API key is set (None: no key, the local engine runs), and
    faster-whisper's."""

    deepgram: DeepgramConfig | None = None
    whisper: WhisperConfig = field(default_factory=WhisperConfig)

    @property
    def engine_name(self) -> str:
        return "deepgram" if self.deepgram else "local"


def make_engine(config: TranscriptionConfig) -> TranscriptionEngine:
    """Deepgram when an API key is configured, local faster-whisper otherwise."""
    if config.deepgram:
        return DeepgramEngine(config.deepgram)
    return WhisperEngine(config.whisper)


async def transcribe(audio: AudioInput, *, config: TranscriptionConfig) -> Transcript:
    """One-shot convenience: build the configured engine, transcribe ``audio``, close it."""
    engine = make_engine(config)
    try:
        return await engine.transcribe(audio)
    finally:
        await engine.aclose()
