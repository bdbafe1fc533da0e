"""The port every transcription engine implements; handlers depend on this only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from clashtor_common.events.transcript import Transcript

#: Audio as the handler has it: the raw bytes of the uploaded file, or a path to them.
AudioInput = bytes | bytearray | memoryview | str | Path

#: Told the fraction of the call done so far (0..1); may be called from a worker thread.
ProgressSink = Callable[[float], None]


@runtime_checkable
class TranscriptionEngine(Protocol):
    """Turns a recording (any container users upload) into a normalized transcript.

    Raises ``UndecodableAudio`` at once for input that is not decodable audio, and
    ``TranscriptionProviderError`` when an external provider keeps failing.
    """

    name: str  # "local" or "deepgram", as in Transcript.engine

    async def transcribe(
        self,
        audio: AudioInput,
        *,
        language: str | None = None,
        progress: ProgressSink | None = None,
    ) -> Transcript:
        """``language`` forces the call's language (ISO 639-1); None = the engine's
        configured language, or detection when that is ``auto``. ``progress``, if given,
        hears how much of the call is done as the engine goes (as often as it can tell)."""
        ...

    async def aclose(self) -> None:
        """Release connections; called once when the service shuts down."""
