"""The real-speech evaluation set: recordings with reference transcripts from packages.

Synthetic calls (espeak-ng) say what the recognizer and the diarizer do on clean,
robotic voices; these say what they do on people. Each item is read from an installed
package's data (``bench/requirements-eval.txt``, installed by ``make bench``), never
downloaded:

- ``pyannote-sample``: pyannote.audio's sample, 30 s of a real two-party phone call
  (Diane in New Jersey, Sheila in Texas), 16 kHz mono, with an STM reference: each
  turn's speaker, start, end and words. Overlaps and backchannels included.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Turn:
    speaker: int
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class RealCall:
    name: str
    path: Path
    turns: tuple[Turn, ...]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.turns)

    @property
    def segments(self) -> list[tuple[float, float, int]]:
        return [(t.start, t.end, t.speaker) for t in self.turns]


def read_stm(path: Path) -> tuple[Turn, ...]:
    """STM lines ``file channel speaker start end words...``; speakers numbered in order."""
    speakers: dict[str, int] = {}
    turns = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(";;"):
            continue
        _file, _channel, who, start, end, *words = line.split()
        label = speakers.setdefault(who, len(speakers))
        turns.append(Turn(label, float(start), float(end), " ".join(words)))
    return tuple(turns)


def real_calls() -> list[RealCall]:
    """Every item whose package is installed (an empty list when none is)."""
    calls = []
    try:
        dist = metadata.distribution("pyannote.audio")
    except metadata.PackageNotFoundError:
        return calls
    wav = Path(str(dist.locate_file("pyannote/audio/sample/sample.wav")))
    stm = Path(str(dist.locate_file("pyannote/audio/sample/sample.stm")))
    if wav.is_file() and stm.is_file():
        calls.append(RealCall("pyannote-sample", wav, read_stm(stm)))
    return calls
