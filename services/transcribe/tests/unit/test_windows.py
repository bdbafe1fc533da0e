"""Long calls are decoded in windows cut at pauses, never whole."""

from __future__ import annotations

import numpy as np
import pytest

from clashtor_callgen import generate_call
from transcribe.adapters.audio import decode_audio, iter_windows, probe_audio
from transcribe.adapters.diarization import mfcc_frames, window_mfcc


@pytest.fixture(scope="module")
def long_call():
    """About ten minutes of two-party mono speech (MP3)."""
    return generate_call(layout="mono", fmt="mp3", target_duration=600)


def test_a_long_call_comes_in_bounded_windows_that_add_up_to_the_whole(long_call) -> None:
    info = probe_audio(long_call.path)
    windows = list(iter_windows(long_call.path, window=60.0, search=8.0))
    assert len(windows) >= 10
    assert all(w.samples.shape[1] <= 60 * 16_000 for w in windows)
    assert all(w.samples.shape[1] >= 52 * 16_000 for w in windows[:-1])
    total = sum(w.samples.shape[1] for w in windows)
    assert total / 16_000 == pytest.approx(info.duration, abs=1e-6)
    # Windows follow each other with no gap or overlap, on the 10 ms grid.
    ends = np.cumsum([w.samples.shape[1] for w in windows])[:-1] / 16_000
    assert [w.offset for w in windows[1:]] == pytest.approx(list(ends))
    assert all(round(w.offset * 100, 6) == round(w.offset * 100) for w in windows)


def test_cuts_fall_in_pauses_not_in_words(long_call) -> None:
    mono = decode_audio(long_call.path).mono()
    frames = np.square(mono[: mono.size // 800 * 800]).reshape(-1, 800).mean(axis=1)
    speech = float(np.median(frames[frames > 1e-4]))  # a typical 50 ms of speech
    cuts = [w.offset for w in iter_windows(long_call.path, window=60.0, search=8.0)][1:]
    for cut in cuts:
        at = int(cut * 16_000)
        around = float(np.square(mono[at - 400 : at + 400]).mean())
        assert around < 0.01 * speech, f"the cut at {cut:.2f} s is not in a pause"


def test_windowed_features_line_up_with_the_whole_call() -> None:
    call = generate_call(layout="mono", fmt="wav")
    whole = mfcc_frames(decode_audio(call.path).mono(), 16_000)
    pieces = [window_mfcc(w.mono(), 16_000) for w in iter_windows(call.path, window=20.0)]
    joined = np.concatenate(pieces)
    assert abs(len(joined) - len(whole)) <= 3
    n = min(len(joined), len(whole))
    same = np.isclose(joined[:n], whole[:n], atol=1e-2).all(axis=1).mean()
    assert same > 0.98


def test_the_probe_decides_the_channel_layout_like_the_whole_file() -> None:
    stereo = generate_call(layout="stereo", fmt="flac")
    mono = generate_call(layout="mono", fmt="mp3")
    assert probe_audio(stereo.path).separate_channels
    assert probe_audio(stereo.path).source_channels == 2
    assert not probe_audio(mono.read_bytes()).separate_channels
    assert probe_audio(stereo.path).duration == pytest.approx(stereo.duration, abs=0.05)
