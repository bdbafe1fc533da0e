"""Test audio for ingest: generated calls (espeak-ng + PyAV via callgen) and plain tones."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from clashtor_callgen import (
    FORMATS,
    GeneratedCall,
    corrupt_audio_bytes,
    encode,
    generate_call,
    short_script,
)

__all__ = ["FORMATS", "call_bytes", "corrupt_audio_bytes", "sample_call", "tone_bytes"]


def sample_call(fmt: str = "wav", layout: str = "stereo", turns: int = 2) -> GeneratedCall:
    """A short two-speaker call (cached per process by callgen)."""
    return generate_call(short_script()[:turns], layout=layout, fmt=fmt)  # type: ignore[arg-type]


def call_bytes(fmt: str = "wav", layout: str = "stereo", turns: int = 2) -> bytes:
    return sample_call(fmt, layout, turns).read_bytes()


@cache
def tone_bytes(seconds: float, fmt: str = "wav", freq: float = 440.0, rate: int = 16000) -> bytes:
    """A sine tone: cheap audio of any length, distinct bytes per (seconds, freq)."""
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    samples = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None, :]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"tone.{fmt}"
        encode(samples, rate, path, fmt)  # type: ignore[arg-type]
        return path.read_bytes()
