"""The audio formats ingest accepts and stores, with their media types.

The format is always decided from the bytes (the probe), never from the file name or
the client's Content-Type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredFormat:
    name: str
    content_type: str
    extension: str


FORMATS: dict[str, StoredFormat] = {
    f.name: f
    for f in (
        StoredFormat("wav", "audio/wav", "wav"),
        StoredFormat("mp3", "audio/mpeg", "mp3"),
        StoredFormat("ogg", "audio/ogg", "ogg"),
        StoredFormat("flac", "audio/flac", "flac"),
        StoredFormat("m4a", "audio/mp4", "m4a"),
        StoredFormat("aac", "audio/aac", "aac"),
        StoredFormat("webm", "audio/webm", "webm"),
        StoredFormat("mka", "audio/x-matroska", "mka"),
        StoredFormat("aiff", "audio/aiff", "aiff"),
    )
}

#: What users may upload (video containers are accepted; their audio track is kept).
ACCEPTED_UPLOADS = ("wav", "mp3", "m4a", "aac", "ogg", "opus", "flac", "webm", "mp4", "mov", "mkv")


def stored_format(name: str) -> StoredFormat:
    return FORMATS[name]
