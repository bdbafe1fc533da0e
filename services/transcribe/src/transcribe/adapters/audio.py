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
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from clashtor_common.media import OPEN_OPTIONS
from transcribe.domain.errors import UndecodableAudio
from transcribe.domain.ports import AudioInput

WHISPER_SAMPLE_RATE = 16_000
AudioSource = AudioInput


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
    """Decode the first audio stream; more than two channels are downmixed to stereo."""
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise UndecodableAudio("the audio file is empty")
        opened: str | io.BytesIO = io.BytesIO(bytes(source))
    else:
        path = Path(source)
        if not path.is_file() or path.stat().st_size == 0:
            raise UndecodableAudio(f"no audio at {path.name}: missing or empty file")
        opened = str(path)
    try:
        return _decode(opened, sample_rate)
    except UndecodableAudio:
        raise
    except (av.FFmpegError, EOFError, ValueError, IndexError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UndecodableAudio(f"the file could not be decoded as audio: {reason}") from exc


def _decode(opened: str | io.BytesIO, sample_rate: int) -> DecodedAudio:
    with av.open(opened, mode="r", metadata_errors="ignore", options=OPEN_OPTIONS) as container:
        if not container.streams.audio:
            raise UndecodableAudio("the file has no audio track")
        stream = container.streams.audio[0]
        source_channels = stream.codec_context.channels or 1
        layout = "stereo" if source_channels >= 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        chunks: list[np.ndarray] = []
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler keep its own clock on broken timestamps
            chunks.extend(out.to_ndarray() for out in resampler.resample(frame))
        chunks.extend(out.to_ndarray() for out in resampler.resample(None))
        source_format = container.format.name
    if not chunks:
        raise UndecodableAudio("the file contains no decodable audio frames")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if samples.shape[1] == 0:
        raise UndecodableAudio("the file contains no audio samples")
    return DecodedAudio(samples, sample_rate, source_channels, source_format)


def separate_channels(audio: DecodedAudio, *, similarity: float = 0.95) -> bool:
    """Do the channels hold different parties (one speaker per channel)?

    False for mono, for "stereo" files whose two channels carry the same mix, and when
    one channel is practically silent: those are transcribed as mono and diarized.
    """
    if audio.channels < 2:
        return False
    left, right = audio.samples[0].astype(np.float64), audio.samples[1].astype(np.float64)
    left_energy, right_energy = float(left @ left), float(right @ right)
    quiet = 1e-4 * max(left_energy, right_energy)
    if left_energy <= quiet or right_energy <= quiet:
        return False
    correlation = float(left @ right) / np.sqrt(left_energy * right_energy)
    return bool(correlation < similarity)
