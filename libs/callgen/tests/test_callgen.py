"""The test-call generator: known words, speakers and timings, in every upload format."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from clashtor_callgen import (
    CORRUPT_KINDS,
    FORMATS,
    SALES_DISCOVERY_CALL,
    Turn,
    corrupt_audio_bytes,
    default_script,
    generate_call,
    load_ground_truth,
    make_corrupt_audio,
    short_script,
)


def _decode(path) -> tuple[np.ndarray, int]:
    """Float samples ``(channels, n)`` in [-1, 1] and the rate, whatever the codec."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        layout = "stereo" if stream.codec_context.channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        frames = [
            out.to_ndarray()
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
    return np.concatenate(frames, axis=1), rate


def test_ground_truth_sits_beside_the_audio_and_matches_the_script():
    script = short_script()
    call = generate_call(script, layout="stereo", fmt="wav", pause=0.7)
    assert call.truth_path.parent == call.path.parent and call.truth_path.exists()
    truth = json.loads(call.truth_path.read_text())
    assert truth["audio"] == call.path.name and truth["channels"] == 2
    assert [t["text"] for t in truth["turns"]] == [t.text for t in script]
    assert [t["speaker"] for t in truth["turns"]] == [t.speaker for t in script]
    assert load_ground_truth(call.truth_path) == list(call.turns)
    for before, after in zip(call.turns, call.turns[1:], strict=False):
        assert before.start < before.end
        assert after.start - before.end == pytest.approx(0.7, abs=0.002)
    assert call.duration > call.turns[-1].end


def test_stereo_puts_each_speaker_on_its_own_channel_exactly_during_its_turns():
    call = generate_call(short_script(), layout="stereo", fmt="wav")
    samples, rate = _decode(call.path)
    assert samples.shape[0] == 2 and rate == 16_000
    for turn in call.turns:
        inside = slice(int(turn.start * rate) + 10, int(turn.end * rate) - 10)
        own, other = samples[turn.speaker, inside], samples[1 - turn.speaker, inside]
        assert np.abs(own).max() > 0.3
        assert np.abs(other).max() == 0.0
    gap = slice(int(call.turns[0].end * rate) + 10, int(call.turns[1].start * rate) - 10)
    assert np.abs(samples[:, gap]).max() == 0.0


def test_mono_mixes_both_speakers_into_one_channel():
    call = generate_call(short_script(), layout="mono", fmt="flac")
    samples, _ = _decode(call.path)
    assert samples.shape[0] == 1 and call.channels == 1
    assert np.abs(samples).max() <= 1.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_real_audio_of_the_right_length(fmt):
    call = generate_call(short_script()[:2], layout="stereo", fmt=fmt)
    assert call.path.suffix == f".{fmt}"
    samples, rate = _decode(call.path)
    assert samples.shape[0] == 2
    assert samples.shape[1] / rate == pytest.approx(call.duration, abs=0.1)
    if fmt == "mp4":
        with av.open(str(call.path)) as container:
            assert len(container.streams.video) == 1


def test_a_target_duration_extends_the_call_without_cutting_a_turn():
    base = short_script()
    call = generate_call(base, layout="mono", fmt="wav", target_duration=40)
    assert call.duration >= 40
    assert len(call.turns) > len(base)
    assert [t.text for t in call.turns[: len(base)]] == [t.text for t in base]
    assert call.turns[-1].end < call.duration


def test_generated_calls_are_cached_per_process():
    first = generate_call(short_script()[:1], layout="mono", fmt="wav")
    again = generate_call(short_script()[:1], layout="mono", fmt="wav")
    other = generate_call(short_script()[:1], layout="mono", fmt="wav", pause=0.9)
    assert first.path == again.path
    assert other.path != first.path or other == first  # one turn: pause does not matter


def test_the_default_script_is_a_discovery_call_touching_every_tracker_topic():
    text = " ".join(t.text for t in default_script()).lower()
    for topic in ("pricing", "budget", "timeline", "decision maker", "competitor", "next step"):
        assert topic in text, topic
    assert sum("?" in t.text for t in default_script() if t.speaker == 0) >= 5
    assert any("?" in t.text for t in default_script() if t.speaker == 1)
    assert {t.speaker for t in SALES_DISCOVERY_CALL} == {0, 1}


def test_turns_are_validated():
    with pytest.raises(ValueError):
        Turn(2, "a third speaker")
    with pytest.raises(ValueError):
        Turn(0, "   ")
    with pytest.raises(ValueError):
        generate_call([])


@pytest.mark.parametrize("kind", CORRUPT_KINDS)
def test_corrupt_audio_does_not_decode(kind):
    path = make_corrupt_audio(kind, "mp3")
    assert path.suffix == ".mp3" and path.read_bytes() == corrupt_audio_bytes(kind, "mp3")
    with pytest.raises((av.FFmpegError, EOFError, IndexError, StopIteration, ValueError)):
        _decode(path)


def test_a_truncated_file_keeps_its_real_header():
    whole = generate_call(short_script()[:1], layout="mono", fmt="wav").read_bytes()
    truncated = corrupt_audio_bytes("truncated", "wav")
    assert truncated.startswith(b"RIFF") and whole.startswith(truncated)
    assert len(truncated) < len(whole)
