"""The local engine: faster-whisper with a packaged model, in bounded memory.

The model is Whisper base (multilingual, the default) or tiny.en (faster, English
only), both installed as Python packages (``adapters.models``), so nothing is
downloaded at run time. It is loaded once per process, lazily and under a lock,
because loading costs memory and time and every call uses the same weights.
Inference is CPU-bound and runs in a worker thread so the event loop keeps serving
Kafka and HTTP meanwhile.

A call is never decoded whole: one streaming pass measures it (``probe_audio``), a
second one hands it over in windows of ``window_seconds`` cut at pauses
(``iter_windows``), and each window is recognized and dropped. What outlives a window
is small: the words, and for mono calls 19 MFCCs per 10 ms for the diarizer. So a
60-minute call needs about the memory of a 5-minute one (``bench transcribe``).

- Language: the upload's or organization's, else the configured one, else detected on
  the first window that is confident about it (then fixed for the call) and recorded
  on the transcript with where it came from.
- Stereo with one party per channel: each channel is recognized alone (speaker =
  channel) and crosstalk is removed per window (``crosstalk.remove_crosstalk``).
- Everything else is recognized as mono and the words are attributed to speakers by
  ``diarization.diarize_frames`` on the whole call's features.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clashtor_common.events.transcript import LanguageSource, Transcript, Utterance, Word
from transcribe.adapters.audio import (
    WHISPER_SAMPLE_RATE,
    AudioSource,
    AudioWindow,
    iter_windows,
    probe_audio,
)
from transcribe.adapters.crosstalk import remove_crosstalk
from transcribe.adapters.diarization import N_MFCC, diarize_frames, window_mfcc
from transcribe.adapters.models import BASE, MODELS, model_path
from transcribe.domain.ports import ProgressSink
from transcribe.domain.utterances import group_utterances, speaker_count

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

AUTO = "auto"
LANGUAGE_CONFIDENCE = 0.5  # below this, detection tries again on the next window


@dataclass(frozen=True)
class WhisperConfig:
    """How to run faster-whisper.

    ``model_name`` picks a packaged model (``base``, the default, or the faster
    English-only ``tiny.en``); ``model_path`` points at any other CTranslate2 Whisper
    directory instead. ``language="auto"`` detects it per call (multilingual models).
    """

    model_path: Path | None = None
    model_name: str = BASE
    language: str = AUTO
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 5
    vad_filter: bool = True
    max_speakers: int = 2
    max_concurrent: int = 1  # CPU-bound: parallel calls only multiply memory and latency
    window_seconds: float = 120.0  # audio held and recognized at a time (bounded memory)

    @property
    def multilingual(self) -> bool:
        info = MODELS.get(self.model_name)
        return info.multilingual if info else not self.model_name.endswith(".en")


_models: dict[tuple[str, str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def load_model(config: WhisperConfig) -> WhisperModel:
    """The process-wide model for ``config`` (loaded on first use, then shared)."""
    path = str(config.model_path or model_path(config.model_name))
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


class WhisperEngine:
    """``TranscriptionEngine`` running locally; see the module docstring."""

    name = "local"

    def __init__(self, config: WhisperConfig | None = None) -> None:
        self.config = config or WhisperConfig()
        self._slots = threading.BoundedSemaphore(self.config.max_concurrent)

    async def transcribe(
        self,
        audio: AudioSource,
        *,
        language: str | None = None,
        progress: ProgressSink | None = None,
    ) -> Transcript:
        return await asyncio.to_thread(
            self.transcribe_sync, audio, language=language, progress=progress
        )

    async def aclose(self) -> None:
        """Nothing to release: the model is shared by the process (see ``load_model``)."""

    def transcribe_sync(
        self,
        audio: AudioSource,
        *,
        language: str | None = None,
        progress: ProgressSink | None = None,
    ) -> Transcript:
        """Blocking version (decode + recognize + diarize); raises ``UndecodableAudio``.

        ``language`` (BCP-47, from the upload or the organization) overrides the
        configured one; with neither, a multilingual model detects it. ``progress``
        hears the share of the call recognized after each window.
        """
        info = probe_audio(audio)  # one streaming pass: duration, channel layout
        with self._slots:
            run = _Run(self, load_model(self.config), language)
            for window in iter_windows(audio, window=self.config.window_seconds):
                run.add(window, separate=info.separate_channels)
                if progress is not None and info.duration > 0:
                    end = window.offset + window.samples.shape[-1] / WHISPER_SAMPLE_RATE
                    progress(min(1.0, end / info.duration))
            utterances = run.utterances(separate=info.separate_channels)
        return Transcript(
            language=run.language or "en",
            language_source=run.source,
            language_confidence=run.confidence,
            engine="local",
            model=self.config.model_name,
            duration=round(info.duration, 3),
            channels=info.source_channels,
            utterances=utterances,
            speakers=speaker_count(utterances),
        )

    def recognize(
        self,
        model: WhisperModel,
        samples: np.ndarray,
        *,
        speaker: int,
        language: str,
        offset: float = 0.0,
    ) -> list[Word]:
        """Words of one channel of one window, timed from the start of the call."""
        duration = samples.shape[0] / WHISPER_SAMPLE_RATE
        segments, _info = model.transcribe(
            samples,
            language=language,
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
                start = min(max(0.0, float(item.start)), duration) + offset
                end = min(max(start - offset, float(item.end)), duration) + offset
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


class _Run:
    """One call being transcribed window by window: what has to outlive a window."""

    def __init__(self, engine: WhisperEngine, model: WhisperModel, language: str | None) -> None:
        self.engine, self.model = engine, model
        config = engine.config
        self.source: LanguageSource
        if not config.multilingual:
            self.language, self.source, self.decided = "en", "model", True
        elif language:
            self.language, self.source, self.decided = language, "requested", True
        elif config.language != AUTO:
            self.language, self.source, self.decided = config.language, "configured", True
        else:
            self.language, self.source, self.decided = None, "detected", False
        self.confidence: float | None = None
        self.words: list[Word] = []
        self.mfcc: list[np.ndarray] = []  # mono only: features for diarization, 10 ms frames

    def add(self, window: AudioWindow, *, separate: bool) -> None:
        language = self._language_for(window)
        if separate:
            per_channel = [
                self.engine.recognize(
                    self.model, channel, speaker=c, language=language, offset=window.offset
                )
                for c, channel in enumerate(window.samples)
            ]
            for kept in remove_crosstalk(
                per_channel, window.samples, WHISPER_SAMPLE_RATE, window.offset
            ):
                self.words.extend(kept)
            return
        mono = window.mono()
        self.words.extend(
            self.engine.recognize(
                self.model, mono, speaker=0, language=language, offset=window.offset
            )
        )
        if self.engine.config.max_speakers > 1:
            self.mfcc.append(window_mfcc(mono, WHISPER_SAMPLE_RATE))

    def utterances(self, *, separate: bool) -> list[Utterance]:
        words = sorted(self.words, key=lambda w: (w.start, w.end, w.speaker))
        if separate:
            channels = {w.speaker for w in words}
            return group_utterances(words, channel_of={c: c for c in channels})
        mfcc = np.concatenate(self.mfcc) if self.mfcc else np.empty((0, N_MFCC), np.float32)
        labels = diarize_frames(
            mfcc, [(w.start, w.end) for w in words], max_speakers=self.engine.config.max_speakers
        )
        words = [w.model_copy(update={"speaker": s}) for w, s in zip(words, labels, strict=True)]
        return group_utterances(words)

    def _language_for(self, window: AudioWindow) -> str:
        """The call's language, detected on the first window that is confident about it."""
        if self.decided:
            assert self.language is not None
            return self.language
        language, probability, _all = self.model.detect_language(
            audio=window.mono(), vad_filter=self.engine.config.vad_filter
        )
        if self.confidence is None or probability > self.confidence:
            self.language, self.confidence = language, round(float(probability), 4)
        self.decided = probability >= LANGUAGE_CONFIDENCE
        assert self.language is not None
        return self.language
