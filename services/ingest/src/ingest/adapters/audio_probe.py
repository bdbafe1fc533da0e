"""Audio probing with PyAV: what the bytes are, whether they decode, how long they last.

Blocking (FFmpeg does file I/O and decoding): call it through ``asyncio.to_thread``.

- The container is detected from the content (the file has no extension on disk), and
  only the accepted audio demuxers may be tried (``clashtor_common.media``).
- The duration is **measured**: the audio stream is decoded and its samples counted
  (each frame's samples / its sample rate). Container headers and packet timestamps
  are written by the uploader and say nothing reliable: an Opus-in-Matroska file with
  every timestamp 0 claimed 0.02 s for 10 minutes of audio, which is how quotas were
  bypassed. Decoding is bounded: it stops as soon as the measured length passes
  ``max_seconds`` (the caller's limit) and reports "at least this long", so a file
  claiming hours costs at most the limit's worth of decoding, one frame in memory.
- A file that opens but yields no audio samples is refused (422).
- Bytes that FFmpeg cannot open are "corrupt audio" (422) when they start like a known
  audio container (a truncated upload), and "not audio" (415) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av

from clashtor_common.media import AUDIO_DEMUXERS as _DEMUXERS
from clashtor_common.media import OPEN_OPTIONS
from ingest.domain.errors import NotAudio, UndecodableAudio

_WEBM_CODECS = frozenset({"opus", "vorbis", "vp8", "vp9", "av1"})
#: Audio codec -> (FFmpeg muxer, stored format) for keeping only the audio of a video file.
_AUDIO_ONLY_MUXERS: dict[str, tuple[str, str]] = {
    "aac": ("ipod", "m4a"),
    "alac": ("ipod", "m4a"),
    "mp3": ("mp3", "mp3"),
    "opus": ("webm", "webm"),
    "vorbis": ("webm", "webm"),
    "flac": ("flac", "flac"),
}


@dataclass(frozen=True)
class AudioProbe:
    source_format: str  # what was uploaded: wav, mp3, m4a, mp4, webm, ...
    stored_format: str  # what is kept: the same, or the audio-only remux of a video file
    codec: str
    duration: float
    """Seconds of decoded audio (a lower bound when ``over_limit``)."""
    channels: int
    sample_rate: int
    has_video: bool
    over_limit: bool = False
    """Decoding stopped because the audio is longer than the ``max_seconds`` asked for."""


def sniff_audio_signature(head: bytes) -> str | None:
    """The audio container ``head`` claims to be, from its magic bytes (or None)."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3/aac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    return None


def _head(source: Path | BinaryIO) -> bytes:
    if isinstance(source, Path):
        with source.open("rb") as fh:
            return fh.read(16)
    return b""  # a stream cannot be read again: it is "not audio" here


def _not_openable(source: Path | BinaryIO, exc: Exception) -> Exception:
    claimed = sniff_audio_signature(_head(source))
    if claimed:
        return UndecodableAudio(
            f"the file looks like {claimed} audio but cannot be decoded (truncated or corrupt): "
            f"{_reason(exc)}"
        )
    return NotAudio(
        "the file is not audio in a supported format (WAV, MP3, M4A/AAC, OGG/Opus, FLAC, "
        "WebM, or MP4 video with an audio track)"
    )


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _source_format(family: str, codecs: set[str], has_video: bool) -> str:
    if family == "mp4":
        return "mp4" if has_video else "m4a"
    if family == "matroska":
        if codecs <= _WEBM_CODECS:
            return "webm"
        return "mkv" if has_video else "mka"
    return family


def probe_audio(source: Path | BinaryIO, max_seconds: float = float("inf")) -> AudioProbe:
    """Identify, validate and measure the audio in ``source`` (a file, or a readable
    file object: an upload still arriving); raises NotAudio/UndecodableAudio.

    Decoding stops once more than ``max_seconds`` of audio were counted (``over_limit``).
    """
    try:
        container = av.open(
            str(source) if isinstance(source, Path) else source, mode="r", options=OPEN_OPTIONS
        )
    except (av.FFmpegError, OSError, EOFError, ValueError) as exc:
        raise _not_openable(source, exc) from exc
    with container:
        family = _DEMUXERS.get(container.format.name)
        if family is None:  # pragma: no cover - the format whitelist refuses these at open
            raise NotAudio(
                f"the file is {container.format.long_name}, not a supported audio format "
                "(WAV, MP3, M4A/AAC, OGG/Opus, FLAC, WebM, MP4)"
            )
        if not container.streams.audio:
            raise NotAudio("the file has no audio track")
        stream = container.streams.audio[0]
        has_video = bool(container.streams.video)
        codecs = {
            s.codec_context.name for s in (*container.streams.audio, *container.streams.video)
        }
        duration, over_limit = _measure(container, stream, max_seconds)
        codec = stream.codec_context.name
        channels = stream.codec_context.channels
        sample_rate = stream.codec_context.sample_rate
    if not channels or not sample_rate:
        raise UndecodableAudio("the file has an audio track but no playable audio in it")
    source = _source_format(family, codecs, has_video)
    stored = source
    if has_video:
        stored = _AUDIO_ONLY_MUXERS.get(codec, ("matroska", "mka"))[1]
    return AudioProbe(
        source_format=source,
        stored_format=stored,
        codec=codec,
        duration=round(duration, 3),
        channels=channels,
        sample_rate=sample_rate,
        has_video=has_video,
        over_limit=over_limit,
    )


def _measure(
    container: av.container.InputContainer, stream: av.AudioStream, max_seconds: float
) -> tuple[float, bool]:
    """Seconds of audio the stream decodes to, and whether counting stopped at the limit.

    Only decoded samples count: timestamps and declared durations are ignored. A damaged
    tail ends the count (what decoded before it is what plays); a stream that decodes to
    nothing at all is refused.
    """
    seconds = 0.0
    decoded = False
    try:
        for frame in container.decode(stream):
            if not frame.samples or not frame.sample_rate:
                continue
            decoded = True
            seconds += frame.samples / frame.sample_rate
            if seconds > max_seconds:
                return seconds, True
    except (av.FFmpegError, EOFError, ValueError) as exc:
        if not decoded:
            raise UndecodableAudio(f"the audio track cannot be decoded: {_reason(exc)}") from exc
    if not decoded or seconds <= 0:
        raise UndecodableAudio("the audio track holds no decodable audio (empty or truncated)")
    return seconds, False


def extract_audio(source: Path, dest: Path) -> str:
    """Copy the first audio track of ``source`` (no re-encoding) into an audio-only file.

    Used for video uploads: only the audio is needed, and keeping the picture (faces,
    shared screens) would store personal data the product never uses. Returns the
    stored format name.
    """
    with av.open(str(source), mode="r", options=OPEN_OPTIONS) as src:
        audio = src.streams.audio[0]
        muxer, stored = _AUDIO_ONLY_MUXERS.get(audio.codec_context.name, ("matroska", "mka"))
        with av.open(str(dest), mode="w", format=muxer) as out:
            target = out.add_stream_from_template(audio)
            for packet in src.demux(audio):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = target
                out.mux(packet)
    return stored
