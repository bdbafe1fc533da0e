"""Lay synthesized turns on a timeline and write the call plus its ground truth.

The ground truth (``<audio>.truth.json`` beside the audio) lists every turn with its
speaker, exact start and end in seconds, and text, so tests can measure word error
rate and speaker attribution against what was really said, and when.

Generated files are cached per process in one temporary directory (removed at exit):
many tests ask for the same call and synthesis is the slow part.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from clashtor_callgen.encode import AudioFormat, encode
from clashtor_callgen.script import Turn, default_script, extended_turns
from clashtor_callgen.synth import DEFAULT_VOICES, SAMPLE_RATE, Voice, synthesize

Layout = Literal["stereo", "mono"]

LEAD_IN = 0.3  # seconds of silence before the first turn
TAIL = 0.3  # seconds of silence after the last turn


@dataclass(frozen=True)
class TimedTurn:
    """A turn as it sits in the generated audio."""

    speaker: int
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class GeneratedCall:
    """A generated call on disk: the audio file, its ground truth, and the facts."""

    path: Path
    truth_path: Path
    format: AudioFormat
    layout: Layout
    channels: int
    sample_rate: int
    duration: float
    turns: tuple[TimedTurn, ...]

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.turns)

    def words(self) -> list[tuple[str, int]]:
        """Reference words with their speaker, in spoken order."""
        return [(word, t.speaker) for t in self.turns for word in t.text.split()]


def generate_call(
    script: Sequence[Turn] | None = None,
    *,
    layout: Layout = "stereo",
    fmt: AudioFormat = "wav",
    pause: float = 0.5,
    target_duration: float | None = None,
    sample_rate: int = SAMPLE_RATE,
    voices: tuple[Voice, Voice] = DEFAULT_VOICES,
    crosstalk: float = 0.0,
) -> GeneratedCall:
    """Generate a two-speaker call from ``script`` (default: the sales discovery call).

    - ``layout="stereo"`` puts speaker 0 on the left channel and speaker 1 on the right
      (how call recorders store the two legs); ``"mono"`` mixes both into one channel.
    - ``pause`` is the silence between turns unless a turn sets ``pause_after``.
    - ``target_duration`` (seconds) keeps adding follow-up turns, then the script again,
      until the call is at least that long; the call never stops mid-turn.
    - ``crosstalk`` (stereo) adds that fraction of each channel's signal to the other,
      20 ms late, as phone lines and headsets leak the other side (0.1 = -20 dB).
    """
    turns = list(script) if script is not None else default_script()
    if not turns:
        raise ValueError("a script needs at least one turn")
    if layout not in ("stereo", "mono"):
        raise ValueError(f"layout must be 'stereo' or 'mono', got {layout!r}")
    key = _cache_key(turns, layout, fmt, pause, target_duration, sample_rate, voices, crosstalk)
    with _lock:
        cached = _generated.get(key)
        if cached is not None and cached.path.exists():
            return cached

    timeline = _lay_out(turns, pause, target_duration, sample_rate, voices)
    audio, timed = _render(timeline, layout, sample_rate)
    if crosstalk and layout == "stereo":
        audio = _leak(audio, crosstalk, int(0.02 * sample_rate))
    directory = _cache_dir()
    path = directory / f"call-{key[:16]}.{fmt}"
    encode(audio, sample_rate, path, fmt)
    call = GeneratedCall(
        path=path,
        truth_path=path.with_suffix(".truth.json"),
        format=fmt,
        layout=layout,
        channels=audio.shape[0],
        sample_rate=sample_rate,
        duration=audio.shape[1] / sample_rate,
        turns=tuple(timed),
    )
    write_ground_truth(call)
    with _lock:
        _generated[key] = call
    return call


def write_ground_truth(call: GeneratedCall) -> Path:
    truth = {
        "audio": call.path.name,
        "format": call.format,
        "layout": call.layout,
        "channels": call.channels,
        "sample_rate": call.sample_rate,
        "duration": round(call.duration, 3),
        "turns": [asdict(t) for t in call.turns],
    }
    call.truth_path.write_text(json.dumps(truth, indent=2))
    return call.truth_path


def load_ground_truth(path: Path) -> list[TimedTurn]:
    """Read the turns back from a ``.truth.json`` file."""
    data = json.loads(Path(path).read_text())
    return [TimedTurn(**turn) for turn in data["turns"]]


# --- timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    turn: Turn
    samples: np.ndarray
    start: int  # sample offset


def _lay_out(
    turns: list[Turn],
    pause: float,
    target_duration: float | None,
    sample_rate: int,
    voices: tuple[Voice, Voice],
) -> list[_Placed]:
    source = itertools.chain(turns, extended_turns(turns) if target_duration else ())
    placed: list[_Placed] = []
    cursor = int(LEAD_IN * sample_rate)
    for index, turn in enumerate(source):
        if index >= len(turns) and cursor / sample_rate >= (target_duration or 0):
            break
        samples = synthesize(turn.text, voices[turn.speaker], sample_rate)
        placed.append(_Placed(turn, samples, cursor))
        gap = pause if turn.pause_after is None else turn.pause_after
        cursor += samples.size + int(gap * sample_rate)
    return placed


def _render(placed: list[_Placed], layout: Layout, sample_rate: int):
    total = max(p.start + p.samples.size for p in placed) + int(TAIL * sample_rate)
    audio = np.zeros((2, total), dtype=np.float32)
    timed: list[TimedTurn] = []
    for p in placed:
        audio[p.turn.speaker, p.start : p.start + p.samples.size] += p.samples
        timed.append(
            TimedTurn(
                speaker=p.turn.speaker,
                start=round(p.start / sample_rate, 3),
                end=round((p.start + p.samples.size) / sample_rate, 3),
                text=p.turn.text,
            )
        )
    if layout == "mono":
        audio = audio.sum(axis=0, keepdims=True)
        peak = float(np.abs(audio).max())
        if peak > 0.99:
            audio /= peak / 0.99
    return audio, timed


def _leak(audio: np.ndarray, gain: float, delay: int) -> np.ndarray:
    """Each channel plus a faint, slightly late copy of the other one."""
    echo = np.zeros_like(audio)
    echo[:, delay:] = audio[::-1, : audio.shape[1] - delay]
    mixed = audio + gain * echo
    peak = float(np.abs(mixed).max())
    return mixed / (peak / 0.99) if peak > 0.99 else mixed


# --- per-process cache ----------------------------------------------------------------

_lock = threading.Lock()
_generated: dict[str, GeneratedCall] = {}
_directory: Path | None = None


def _cache_dir() -> Path:
    global _directory
    with _lock:
        if _directory is None or not _directory.exists():
            _directory = Path(tempfile.mkdtemp(prefix="clashtor-callgen-"))
            atexit.register(shutil.rmtree, _directory, True)
        return _directory


def cache_dir() -> Path:
    """The per-process directory holding generated and corrupt files."""
    return _cache_dir()


def _cache_key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()
