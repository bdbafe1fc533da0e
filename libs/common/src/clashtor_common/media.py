"""Which containers FFmpeg may open in Clashtor, and the options that enforce it.

Ingest (probing uploads) and transcribe (decoding what ingest stored) open untrusted
bytes with PyAV. Left to itself FFmpeg probes the bytes against every demuxer it has,
including playlists (HLS, concat) that open further files or URLs and exotic formats
with a long history of parser bugs. Both services pass ``OPEN_OPTIONS`` to ``av.open``
so only the audio containers the product accepts are ever tried, and only local
reads (or the caller's in-memory buffer) are possible.
"""

from __future__ import annotations

#: FFmpeg demuxer name (as ``container.format.name`` reports it) -> our family name.
AUDIO_DEMUXERS: dict[str, str] = {
    "wav": "wav",
    "mp3": "mp3",
    "ogg": "ogg",
    "flac": "flac",
    "aac": "aac",
    "aiff": "aiff",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "matroska,webm": "matroska",
}

#: The short demuxer names FFmpeg's ``format_whitelist`` expects.
DEMUXER_WHITELIST = ",".join(sorted({n for names in AUDIO_DEMUXERS for n in names.split(",")}))

#: Options for ``av.open(..., options=OPEN_OPTIONS)`` on untrusted input.
OPEN_OPTIONS: dict[str, str] = {
    "protocol_whitelist": "file",
    "format_whitelist": DEMUXER_WHITELIST,
}
