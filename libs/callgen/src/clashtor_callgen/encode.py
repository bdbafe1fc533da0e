"""Write generated samples to the container/codec pairs users upload.

PyAV (its bundled FFmpeg libraries) does all encoding, so no ffmpeg binary is needed
and every format sox cannot write (Opus, AAC, WebM, MP4 with video) comes out the same
way as the simple ones. MP4 gets a tiny black video track, like a screen recording of
a call where nobody shared a camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, cast

import av
import numpy as np

AudioFormat = Literal["wav", "mp3", "ogg", "flac", "m4a", "webm", "mp4"]
FORMATS: tuple[AudioFormat, ...] = ("wav", "mp3", "ogg", "flac", "m4a", "webm", "mp4")


@dataclass(frozen=True)
class _Spec:
    container: str
    codec: str
    sample_format: str
    rate: int | None = None  # None: keep the source rate
    bit_rate: int | None = None
    video: bool = False


_SPECS: dict[AudioFormat, _Spec] = {
    "wav": _Spec("wav", "pcm_s16le", "s16"),
    "flac": _Spec("flac", "flac", "s16"),
    "mp3": _Spec("mp3", "libmp3lame", "s16p", bit_rate=64_000),
    "ogg": _Spec("ogg", "libopus", "s16", rate=48_000, bit_rate=48_000),
    "webm": _Spec("webm", "libopus", "s16", rate=48_000, bit_rate=48_000),
    "m4a": _Spec("ipod", "aac", "fltp", bit_rate=96_000),
    "mp4": _Spec("mp4", "aac", "fltp", bit_rate=96_000, video=True),
}

_VIDEO_SIZE = (64, 48)
_VIDEO_FPS = 2


def encode(samples: np.ndarray, sample_rate: int, path: Path, fmt: AudioFormat) -> Path:
    """Encode ``samples`` (shape ``(channels, n)``, float32 in [-1, 1]) to ``path``."""
    if fmt not in _SPECS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if samples.ndim != 2 or samples.shape[0] not in (1, 2):
        raise ValueError(f"samples must be (channels, n) with 1 or 2 channels, got {samples.shape}")
    spec = _SPECS[fmt]
    channels = samples.shape[0]
    layout = "stereo" if channels == 2 else "mono"
    rate = spec.rate or sample_rate
    interleaved = np.ascontiguousarray(samples.T, dtype=np.float32).reshape(1, -1)

    with av.open(str(path), "w", format=spec.container) as container:
        video: av.VideoStream | None = None
        if spec.video:
            video = cast(av.VideoStream, container.add_stream("libx264", rate=_VIDEO_FPS))
            video.width, video.height = _VIDEO_SIZE
            video.pix_fmt = "yuv420p"
            video.options = {"preset": "ultrafast", "tune": "stillimage"}
        audio = cast(av.AudioStream, container.add_stream(spec.codec, rate=rate))
        audio.layout = layout
        audio.format = spec.sample_format
        if spec.bit_rate:
            audio.bit_rate = spec.bit_rate

        source = av.AudioFrame.from_ndarray(interleaved, format="flt", layout=layout)
        source.sample_rate = sample_rate
        source.pts = 0
        source.time_base = Fraction(1, sample_rate)
        resampler = av.AudioResampler(
            format=spec.sample_format,
            layout=layout,
            rate=rate,
            frame_size=audio.codec_context.frame_size or None,
        )
        frames = [*resampler.resample(source), *resampler.resample(None)]
        for frame in frames:
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))

        if video is not None:
            duration = samples.shape[1] / sample_rate
            _write_black_video(container, video, duration)
    return path


def _write_black_video(
    container: av.container.OutputContainer, stream: av.VideoStream, duration: float
) -> None:
    width, height = _VIDEO_SIZE
    black = np.zeros((height, width, 3), dtype=np.uint8)
    for index in range(max(1, int(np.ceil(duration * _VIDEO_FPS)))):
        frame = av.VideoFrame.from_ndarray(black, format="rgb24").reformat(format="yuv420p")
        frame.pts = index
        frame.time_base = Fraction(1, _VIDEO_FPS)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
