"""Offline diarization on generated mono calls, with word spans from the ground truth.

Word spans come from the generator's turn timings (each word a share of its turn), so
these tests isolate the diarizer from the recognizer; the engine tests cover both.
"""

from __future__ import annotations

import numpy as np
import pytest

from clashtor_callgen import (
    DEFAULT_VOICES,
    GeneratedCall,
    Voice,
    generate_call,
    short_script,
)
from transcribe.adapters.audio import decode_audio
from transcribe.adapters.diarization import diarize_words, mfcc_frames

TWO_MALE_VOICES = (Voice("en-us+m3", 35, 165), Voice("en-gb+m1", 50, 160))
ONE_VOICE = (DEFAULT_VOICES[0], DEFAULT_VOICES[0])


def _word_spans(call: GeneratedCall) -> tuple[list[tuple[float, float]], np.ndarray]:
    spans, speakers = [], []
    for turn in call.turns:
        tokens = turn.text.split()
        weights = [len(t) + 2 for t in tokens]
        cursor = turn.start
        for weight in weights:
            length = (turn.end - turn.start) * weight / sum(weights)
            spans.append((cursor, cursor + 0.9 * length))
            speakers.append(turn.speaker)
            cursor += length
    return spans, np.array(speakers)


def _diarize(voices, pause: float) -> tuple[np.ndarray, np.ndarray]:
    call = generate_call(short_script(), layout="mono", voices=voices, pause=pause)
    spans, truth = _word_spans(call)
    labels = diarize_words(decode_audio(call.path).mono(), 16_000, spans)
    return np.array(labels), truth


def _best_accuracy(labels: np.ndarray, truth: np.ndarray) -> float:
    return float(max((labels == truth).mean(), (labels == 1 - truth).mean()))


@pytest.mark.parametrize("pause", [0.5, 0.05])
def test_the_default_voices_are_told_apart_even_with_quick_hand_overs(pause):
    labels, truth = _diarize(DEFAULT_VOICES, pause)
    assert set(labels.tolist()) == {0, 1}
    assert _best_accuracy(labels, truth) >= 0.95  # measured 1.000


def test_two_male_voices_are_told_apart_when_turns_are_separated_by_pauses():
    labels, truth = _diarize(TWO_MALE_VOICES, 0.5)
    assert _best_accuracy(labels, truth) >= 0.9  # measured 1.000


def test_speaker_zero_is_whoever_spoke_first():
    labels, truth = _diarize(DEFAULT_VOICES, 0.5)
    assert labels[0] == 0
    assert (labels == truth).mean() >= 0.95  # rep spoke first in the script


def test_one_voice_is_not_split_into_two_speakers():
    labels, _ = _diarize(ONE_VOICE, 0.5)
    assert set(labels.tolist()) == {0}


def test_edge_cases_answer_without_clustering():
    silence = np.zeros(16_000, dtype=np.float32)
    assert diarize_words(silence, 16_000, []) == []
    assert diarize_words(silence, 16_000, [(0.1, 0.3), (0.5, 0.7)], max_speakers=1) == [0, 0]
    assert diarize_words(silence, 16_000, [(0.1, 0.3)]) == [0]
    with pytest.raises(ValueError):
        diarize_words(silence, 16_000, [(0.1, 0.3)], max_speakers=2, min_speakers=3)


def test_mfcc_frames_follow_the_hop():
    frames = mfcc_frames(
        np.random.default_rng(0).standard_normal(16_000).astype(np.float32), 16_000
    )
    assert frames.shape == (98, 19)  # 1 s, 25 ms windows every 10 ms
    assert np.isfinite(frames).all()
