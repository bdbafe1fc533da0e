"""Bad inputs for the unhappy paths: files that look like audio but are not.

- ``truncated``: a real file cut right after its header (the header promises audio,
  the bytes are gone), the classic interrupted upload.
- ``random``: random bytes with an audio extension.
- ``text``: a text file renamed to ``.mp3``.
- ``empty``: zero bytes.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal

from clashtor_callgen.generate import cache_dir, generate_call
from clashtor_callgen.script import short_script

CorruptKind = Literal["truncated", "random", "text", "empty"]
CORRUPT_KINDS: tuple[CorruptKind, ...] = ("truncated", "random", "text", "empty")

# Bytes kept from the start of a real file: enough for the header, too few for a frame.
_HEADER_BYTES = {"wav": 44, "mp3": 64, "ogg": 120, "flac": 60, "m4a": 40, "webm": 60, "mp4": 40}


def make_corrupt_audio(kind: CorruptKind = "truncated", fmt: str = "mp3") -> Path:
    """Write a broken file named like audio of ``fmt``; returns its path."""
    path = cache_dir() / f"corrupt-{kind}.{fmt}"
    path.write_bytes(corrupt_audio_bytes(kind, fmt))
    return path


def corrupt_audio_bytes(kind: CorruptKind = "truncated", fmt: str = "mp3") -> bytes:
    """The bytes of a broken ``fmt`` file (see the module docstring for the kinds)."""
    if kind == "truncated":
        if fmt not in _HEADER_BYTES:
            raise ValueError(f"no truncation rule for {fmt!r}")
        whole = generate_call(short_script()[:1], layout="mono", fmt=fmt).read_bytes()  # type: ignore[arg-type]
        return whole[: _HEADER_BYTES[fmt]]
    if kind == "random":
        return random.Random(1234).randbytes(32_000)
    if kind == "text":
        return b"Meeting notes\n\nThis is not audio. Budget: 40k. Next steps: follow up.\n" * 40
    if kind == "empty":
        return b""
    raise ValueError(f"unknown corrupt kind {kind!r}; choose one of {', '.join(CORRUPT_KINDS)}")
