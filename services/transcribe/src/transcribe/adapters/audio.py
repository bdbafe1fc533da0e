"""Decode any uploaded audio or video into float32 samples, keeping the channels apart.

PyAV (bundled FFmpeg) reads every container users send (WAV, MP3, Ogg/Opus, FLAC,
M4A/AAC, WebM, MP4 video). faster-whisper's own ``decode_audio`` only offers mono or a
stereo split; this keeps up to two channels so a call recorded with one party per
channel can be transcribed per channel, and it turns every decoding failure into
``UndecodableAudio`` so the caller can fail the call instead of retrying forever.

FFmpeg opens the bytes with the same demuxer and protocol whitelist as ingest's probe
(``clashtor_common.media.OPEN_OPTIONS``): only the accepted audio containers are tried,
never a playlist or an exotic format, even if something else than ingest's check put
the bytes in front of us.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av
import numpy as np

from clashtor_common.media import OPEN_OPTIONS
from transcribe.domain.errors import UndecodableAudio
from transcribe.domain.ports import AudioInput

WHISPER_SAMPLE_RATE = 16_000
AudioSource = AudioInput
T = TypeVar("T")


@dataclass(frozen=True)
class DecodedAudio:
    """Samples shaped ``(channels, n)``, float32 in [-1, 1], at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int
    source_channels: int
    source_format: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0, dtype=np.float32)


def decode_audio(source: AudioSource, *, sample_rate: int = WHISPER_SAMPLE_RATE) -> DecodedAudio:
    """Decode the whole first audio stream into memory (short clips; tests, probes).

    Long recordings go through ``probe_audio`` and ``iter_windows`` instead, which
    never hold more than one window of samples.
    """
    chunks: list[np.ndarray] = []
    header = _guarded(source, lambda opened: _stream(opened, sample_rate, chunks.append))
    if not chunks:
        raise UndecodableAudio("the file contains no decodable audio frames")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if samples.shape[1] == 0:
        raise UndecodableAudio("the file contains no audio samples")
    return DecodedAudio(samples, sample_rate, *header)


@dataclass(frozen=True)
class AudioInfo:
    """What one streaming pass over a recording tells: its length and channel layout."""

    duration: float
    source_channels: int
    source_format: str
    separate_channels: bool


@dataclass(frozen=True)
class AudioWindow:
    """A stretch of the recording, ``(channels, n)`` float32, starting at ``offset`` s."""

    offset: float
    samples: np.ndarray

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0, dtype=np.float32)


def probe_audio(
    source: AudioSource, *, sample_rate: int = WHISPER_SAMPLE_RATE, similarity: float = 0.95
) -> AudioInfo:
    """Decode once, keeping only running sums: duration and whether the channels differ.

    Memory stays flat whatever the length; the decision is the same as
    ``separate_channels`` on the whole file.
    """
    sums = np.zeros(3)  # left·left, right·right, left·right
    count = 0

    def add(chunk: np.ndarray) -> None:
        nonlocal count
        count += chunk.shape[1]
        if chunk.shape[0] >= 2:
            left, right = chunk[0].astype(np.float64), chunk[1].astype(np.float64)
            sums[:] += (left @ left, right @ right, left @ right)

    channels, fmt = _guarded(source, lambda opened: _stream(opened, sample_rate, add))
    if count == 0:
        raise UndecodableAudio("the file contains no audio samples")
    return AudioInfo(
        duration=count / sample_rate,
        source_channels=channels,
        source_format=fmt,
        separate_channels=channels >= 2 and _differ(*sums, similarity=similarity),
    )


def iter_windows(
    source: AudioSource,
    *,
    window: float = 120.0,
    search: float = 10.0,
    sample_rate: int = WHISPER_SAMPLE_RATE,
) -> Iterator[AudioWindow]:
    """The recording in consecutive windows of about ``window`` seconds, decoded lazily.

    Each cut falls at the quietest 50 ms in the last ``search`` seconds of the window
    (a pause, mostly), so a word is rarely split between two windows; cuts are on the
    10 ms frame grid so features computed per window line up end to end. Only the
    current window and one decoder chunk are in memory at a time.
    """
    size = int(window * sample_rate)
    lookback = int(min(search, window / 2) * sample_rate)
    frame = int(0.05 * sample_rate)
    hop = sample_rate // 100
    pending: list[np.ndarray] = []
    buffered = 0
    offset = 0

    def cut() -> Iterator[AudioWindow]:
        nonlocal pending, buffered, offset
        samples = np.concatenate(pending, axis=1)
        region = samples[:, size - lookback : size]
        energy = np.square(region[:, : region.shape[1] // frame * frame]).sum(axis=0)
        quietest = int(energy.reshape(-1, frame).sum(axis=1).argmin())
        at = (size - lookback + quietest * frame + frame // 2) // hop * hop
        yield AudioWindow(offset / sample_rate, samples[:, :at].copy())
        offset += at
        pending, buffered = [samples[:, at:].copy()], samples.shape[1] - at

    for chunk in _chunks(source, sample_rate):
        pending.append(chunk)
        buffered += chunk.shape[1]
        if buffered >= size:
            yield from cut()
    if buffered:
        yield AudioWindow(offset / sample_rate, np.concatenate(pending, axis=1))


def _chunks(source: AudioSource, sample_rate: int) -> Iterator[np.ndarray]:
    """Decoded chunks as they come; decoding errors become ``UndecodableAudio``."""
    try:
        yield from _decoded(_open_source(source), sample_rate, [])
    except UndecodableAudio:
        raise
    except _DECODE_ERRORS as exc:
        raise _undecodable(exc) from exc


def _guarded(source: AudioSource, run: Callable[[str | io.BytesIO], T]) -> T:
    opened = _open_source(source)
    try:
        return run(opened)
    except UndecodableAudio:
        raise
    except _DECODE_ERRORS as exc:
        raise _undecodable(exc) from exc


def _open_source(source: AudioSource) -> str | io.BytesIO:
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise UndecodableAudio("the audio file is empty")
        return io.BytesIO(bytes(source))
    path = Path(source)
    if not path.is_file() or path.stat().st_size == 0:
        raise UndecodableAudio(f"no audio at {path.name}: missing or empty file")
    return str(path)


def _open_container(opened: str | io.BytesIO) -> av.container.InputContainer:
    """The one place a container is opened: input only, broken metadata tolerated, and
    only the whitelisted demuxers and protocols."""
    return av.open(opened, mode="r", metadata_errors="ignore", options=OPEN_OPTIONS)


def _audio_stream(
    container: av.container.InputContainer, sample_rate: int
) -> tuple[av.audio.stream.AudioStream, av.AudioResampler]:
    if not container.streams.audio:
        raise UndecodableAudio("the file has no audio track")
    stream = container.streams.audio[0]
    layout = "stereo" if (stream.codec_context.channels or 1) >= 2 else "mono"
    return stream, av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)


def _stream(
    opened: str | io.BytesIO, sample_rate: int, sink: Callable[[np.ndarray], object]
) -> tuple[int, str]:
    """Decode the first audio stream into ``sink``; return (source channels, format)."""
    header: list[int | str] = []
    for chunk in _decoded(opened, sample_rate, header):
        sink(chunk)
    channels, fmt = header
    return int(channels), str(fmt)


def _decoded(
    opened: str | io.BytesIO, sample_rate: int, header: list[int | str]
) -> Iterator[np.ndarray]:
    """``(channels, n)`` float32 chunks of the first audio stream; fills ``header`` with
    (source channels, container format) once the container is open."""
    with _open_container(opened) as container:
        stream, resampler = _audio_stream(container, sample_rate)
        header.extend((stream.codec_context.channels or 1, container.format.name))
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler keep its own clock on broken timestamps
            for out in resampler.resample(frame):
                yield out.to_ndarray().astype(np.float32, copy=False)
        for out in resampler.resample(None):
            yield out.to_ndarray().astype(np.float32, copy=False)


_DECODE_ERRORS = (av.FFmpegError, EOFError, ValueError, IndexError)


def _undecodable(exc: BaseException) -> UndecodableAudio:
    reason = getattr(exc, "strerror", None) or str(exc)
    return UndecodableAudio(f"the file could not be decoded as audio: {reason}")


def separate_channels(audio: DecodedAudio, *, similarity: float = 0.95) -> bool:
    """Do the channels hold different parties (one speaker per channel)?

    False for mono, for "stereo" files whose two channels carry the same mix, and when
    one channel is practically silent: those are transcribed as mono and diarized.
    """
    if audio.channels < 2:
        return False
    left, right = audio.samples[0].astype(np.float64), audio.samples[1].astype(np.float64)
    return _differ(float(left @ left), float(right @ right), float(left @ right), similarity)


def _differ(left_energy: float, right_energy: float, cross: float, similarity: float) -> bool:
    quiet = 1e-4 * max(left_energy, right_energy)
    if left_energy <= quiet or right_energy <= quiet:
        return False
    return bool(cross / np.sqrt(left_energy * right_energy) < similarity)
