"""Decoding every upload format with PyAV, keeping channels apart, and refusing junk."""

from __future__ import annotations

import av
import numpy as np
import pytest

from clashtor_callgen import (
    CORRUPT_KINDS,
    FORMATS,
    corrupt_audio_bytes,
    encode,
    generate_call,
    make_corrupt_audio,
    short_script,
)
from transcribe.adapters.audio import decode_audio, separate_channels
from transcribe.domain.errors import UndecodableAudio


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_upload_format_decodes_with_its_channels(fmt):
    stereo = generate_call(short_script()[:2], layout="stereo", fmt=fmt)
    decoded = decode_audio(stereo.path)
    assert decoded.channels == 2 and decoded.sample_rate == 16_000
    assert decoded.duration == pytest.approx(stereo.duration, abs=0.1)
    assert separate_channels(decoded)
    # Turn 0 is on the left channel only: the right one is silent there.
    first = stereo.turns[0]
    window = slice(int(first.start * 16_000), int(first.end * 16_000))
    left, right = decoded.samples[0, window], decoded.samples[1, window]
    assert np.abs(left).mean() > 20 * np.abs(right).mean()


def test_bytes_and_paths_decode_the_same():
    call = generate_call(short_script()[:2], layout="mono", fmt="ogg")
    from_path, from_bytes = decode_audio(call.path), decode_audio(call.read_bytes())
    assert from_path.channels == from_bytes.channels == 1
    np.testing.assert_array_equal(from_path.samples, from_bytes.samples)
    assert not separate_channels(from_path)


def test_a_stereo_file_carrying_one_mix_twice_is_treated_as_mono(tmp_path):
    mono = decode_audio(generate_call(short_script()[:2], layout="mono").path).samples
    path = encode(np.vstack([mono, mono]), 16_000, tmp_path / "dual.wav", "wav")
    assert not separate_channels(decode_audio(path))


def test_a_stereo_file_with_one_silent_channel_is_treated_as_mono(tmp_path):
    mono = decode_audio(generate_call(short_script()[:2], layout="mono").path).samples
    path = encode(np.vstack([mono, np.zeros_like(mono)]), 16_000, tmp_path / "half.wav", "wav")
    assert not separate_channels(decode_audio(path))


@pytest.mark.parametrize("kind", CORRUPT_KINDS)
@pytest.mark.parametrize("fmt", ["mp3", "wav", "m4a"])
def test_corrupt_files_raise_undecodable_audio(kind, fmt):
    with pytest.raises(UndecodableAudio):
        decode_audio(make_corrupt_audio(kind, fmt))
    with pytest.raises(UndecodableAudio):
        decode_audio(corrupt_audio_bytes(kind, fmt))


def test_a_video_without_audio_is_undecodable(tmp_path):
    import av

    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=2)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(4):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame.reformat(format="yuv420p")))
        container.mux(stream.encode(None))
    with pytest.raises(UndecodableAudio, match="no audio track"):
        decode_audio(path)


def test_a_missing_file_is_undecodable(tmp_path):
    with pytest.raises(UndecodableAudio):
        decode_audio(tmp_path / "nope.wav")


@pytest.mark.parametrize("container", ["au", "caf"])
def test_containers_outside_the_demuxer_whitelist_are_never_opened(tmp_path, container):
    """Playable audio, but not a container the product accepts: FFmpeg may not try it."""
    path = tmp_path / f"call.{container}"
    samples = np.zeros((1, 16_000), dtype=np.float32)
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("pcm_s16be", rate=16_000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            (samples * 0).astype(np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 16_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with av.open(str(path)) as check:  # FFmpeg itself would read it...
        assert check.streams.audio
    for source in (path, path.read_bytes()):  # ...transcribe refuses, by path or bytes
        with pytest.raises(UndecodableAudio):
            decode_audio(source)


def test_a_playlist_pointing_at_other_files_is_refused(tmp_path):
    playlist = tmp_path / "call.m3u8"
    target = generate_call(short_script()[:1], layout="mono", fmt="wav").path
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n"
    )
    with pytest.raises(UndecodableAudio):
        decode_audio(playlist)
