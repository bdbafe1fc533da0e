"""Audio probing with PyAV: what the bytes are, whether they decode, how long they last.

Blocking (FFmpeg does file I/O and decoding): call it through ``asyncio.to_thread``.

- The container is detected from the content (the file has no extension on disk).
- A few frames are decoded so a file that opens but does not play is refused (422).
- The duration is the span of the audio stream's packets (demuxed, not decoded), so it
  is exact even when the container's header lies or the file was cut short.
- Bytes that FFmpeg cannot open are "corrupt audio" (422) when they start like a known
  audio container (a truncated upload), and "not audio" (415) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from ingest.domain.errors import NotAudio, UndecodableAudio

#: FFmpeg demuxer name -> our family name for it.
_DEMUXERS: dict[str, str] = {
    "wav": "wav",
    "mp3": "mp3",
    "ogg": "ogg",
    "flac": "flac",
    "aac": "aac",
    "aiff": "aiff",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "matroska,webm": "matroska",
}
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
FRAMES_TO_DECODE = 8
#: Defence in depth: FFmpeg may only read the local file and only with an accepted
#: demuxer (no playlists or concat lists that would make it open other files or URLs).
OPEN_OPTIONS = {
    "protocol_whitelist": "file",
    "format_whitelist": ",".join(sorted({n for names in _DEMUXERS for n in names.split(",")})),
}


@dataclass(frozen=True)
class AudioProbe:
    source_format: str  # what was uploaded: wav, mp3, m4a, mp4, webm, ...
    stored_format: str  # what is kept: the same, or the audio-only remux of a video file
    codec: str
    duration: float
    channels: int
    sample_rate: int
    has_video: bool


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


def _not_openable(path: Path, exc: Exception) -> Exception:
    with path.open("rb") as fh:
        claimed = sniff_audio_signature(fh.read(16))
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


def probe_audio(path: Path) -> AudioProbe:
    """Identify, validate and measure the audio in ``path``; raises NotAudio/UndecodableAudio."""
    try:
        container = av.open(str(path), mode="r", options=OPEN_OPTIONS)
    except (av.FFmpegError, OSError, EOFError, ValueError) as exc:
        raise _not_openable(path, exc) from exc
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
        _decode_some(container, stream)
        codec = stream.codec_context.name
        channels = stream.codec_context.channels
        sample_rate = stream.codec_context.sample_rate
        container_duration = container.duration / 1e6 if container.duration else 0.0
    duration = _audio_span(path) or container_duration
    if duration <= 0 or not channels or not sample_rate:
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
    )


def _decode_some(container: av.container.InputContainer, stream: av.AudioStream) -> None:
    decoded = 0
    try:
        for frame in container.decode(stream):
            if frame.samples:
                decoded += 1
            if decoded >= FRAMES_TO_DECODE:
                break
    except (av.FFmpegError, EOFError, ValueError) as exc:
        if not decoded:
            raise UndecodableAudio(f"the audio track cannot be decoded: {_reason(exc)}") from exc
    if not decoded:
        raise UndecodableAudio("the audio track holds no decodable audio (empty or truncated)")


def _audio_span(path: Path) -> float:
    """Seconds from the first to the end of the last audio packet (0 if unknown)."""
    first: float | None = None
    end = 0.0
    try:
        with av.open(str(path), mode="r", options=OPEN_OPTIONS) as container:
            stream = container.streams.audio[0]
            for packet in container.demux(stream):
                if packet.pts is None or packet.time_base is None:
                    continue
                start = float(packet.pts * packet.time_base)
                stop = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                first = start if first is None else min(first, start)
                end = max(end, stop)
    except (av.FFmpegError, EOFError, ValueError):
        pass  # a damaged tail: the span up to the damage is what plays
    return max(end - (first or 0.0), 0.0)


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
