"""The probe decides the format from the bytes, checks they decode, and measures them."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from clashtor_callgen import zero_timestamp_opus_mkv
from clashtor_common.errors import domain_status
from ingest.adapters.audio_probe import extract_audio, probe_audio, sniff_audio_signature
from ingest.domain.errors import NotAudio, UndecodableAudio

from ..audio_samples import FORMATS, corrupt_audio_bytes, sample_call

EXPECTED = {
    # uploaded as -> (source_format, stored_format, codec family)
    "wav": ("wav", "wav", "pcm"),
    "mp3": ("mp3", "mp3", "mp3"),
    "ogg": ("ogg", "ogg", "opus"),
    "flac": ("flac", "flac", "flac"),
    "m4a": ("m4a", "m4a", "aac"),
    "webm": ("webm", "webm", "opus"),
    "mp4": ("mp4", "m4a", "aac"),
}


def _unnamed_copy(tmp_path: Path, data: bytes) -> Path:
    """Uploads are spooled without a name: detection must not rely on the extension."""
    path = tmp_path / "upload"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", ["stereo", "mono"])
def test_every_accepted_format_probes_right(tmp_path: Path, fmt: str, layout: str) -> None:
    call = sample_call(fmt, layout)
    probe = probe_audio(_unnamed_copy(tmp_path, call.read_bytes()))
    source, stored, codec = EXPECTED[fmt]
    assert (probe.source_format, probe.stored_format) == (source, stored)
    assert probe.codec.startswith(codec)
    assert probe.channels == call.channels
    expected_rate = 48000 if codec == "opus" else call.sample_rate
    assert probe.sample_rate == expected_rate
    # codec priming/padding adds a few tens of ms at most
    assert abs(probe.duration - call.duration) < 0.15
    assert probe.has_video is (fmt == "mp4")


def test_a_video_file_keeps_only_its_audio_track(tmp_path: Path) -> None:
    call = sample_call("mp4")
    audio_only = tmp_path / "audio.m4a"
    assert extract_audio(call.path, audio_only) == "m4a"
    with av.open(str(audio_only)) as container:
        assert len(container.streams.video) == 0
        assert len(container.streams.audio) == 1
    probe = probe_audio(audio_only)
    assert (probe.source_format, probe.channels, probe.has_video) == ("m4a", call.channels, False)
    assert abs(probe.duration - call.duration) < 0.15
    assert audio_only.stat().st_size < call.path.stat().st_size


@pytest.mark.parametrize("kind", ["random", "text"])
def test_bytes_that_are_not_audio_are_unsupported_media(tmp_path: Path, kind: str) -> None:
    with pytest.raises(NotAudio) as refused:
        probe_audio(_unnamed_copy(tmp_path, corrupt_audio_bytes(kind)))  # type: ignore[arg-type]
    assert domain_status(refused.value) == 415


def test_an_image_is_not_audio(tmp_path: Path) -> None:
    png = tmp_path / "pic.png"
    with av.open(str(png), "w", format="image2") as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 8, 8, "rgb24"
        import numpy as np

        frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), dtype=np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with pytest.raises(NotAudio):
        probe_audio(_unnamed_copy(tmp_path, png.read_bytes()))


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_audio_is_undecodable_not_unsupported(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(UndecodableAudio) as refused:
        probe_audio(_unnamed_copy(tmp_path, corrupt_audio_bytes("truncated", fmt)))
    assert domain_status(refused.value) == 422


def test_a_wav_header_with_no_samples_is_undecodable(tmp_path: Path) -> None:
    whole = sample_call("wav").read_bytes()
    with pytest.raises(UndecodableAudio):
        probe_audio(_unnamed_copy(tmp_path, whole[:44]))


def test_signatures_of_audio_containers_are_recognised() -> None:
    assert sniff_audio_signature(b"RIFF\x00\x00\x00\x00WAVEfmt ") == "wav"
    assert sniff_audio_signature(b"ID3\x04") == "mp3"
    assert sniff_audio_signature(b"\x00\x00\x00\x20ftypisom") == "mp4"
    assert sniff_audio_signature(b"Meeting notes") is None


def test_length_is_measured_from_decoded_audio_not_from_timestamps(tmp_path: Path) -> None:
    """Issue 11, hole 3: every packet stamped 0 made 160 s of Opus count as 0.02 s."""
    lying = zero_timestamp_opus_mkv(tmp_path / "lying.mkv", 160)
    probe = probe_audio(_unnamed_copy(tmp_path, lying.read_bytes()))
    assert probe.duration == pytest.approx(160, abs=0.1)
    assert probe.over_limit is False


def test_measuring_stops_once_past_the_limit_and_says_so(tmp_path: Path) -> None:
    lying = zero_timestamp_opus_mkv(tmp_path / "lying.mkv", 30)
    probe = probe_audio(lying, max_seconds=10)
    assert probe.over_limit is True
    assert 10 < probe.duration < 10.1  # decoding stopped right after the limit
