"""Stereo crosstalk: a word stays on the channel where it is loudest, once."""

from __future__ import annotations

import numpy as np

from clashtor_common.events.transcript import Word
from transcribe.adapters.crosstalk import remove_crosstalk

RATE = 16_000


def _tone(seconds: float, amplitude: float, start: float, total: float) -> np.ndarray:
    signal = np.zeros(int(total * RATE), np.float32)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    signal[int(start * RATE) : int(start * RATE) + n] = amplitude * np.sin(2 * np.pi * 220 * t)
    return signal


def _word(text: str, start: float, end: float, speaker: int) -> Word:
    return Word(word=text, start=start, end=end, speaker=speaker)


def test_a_word_heard_on_both_channels_stays_where_it_is_dominant() -> None:
    left = _tone(0.5, 0.5, 1.0, 4.0)  # the rep speaks at 1.0-1.5 s
    samples = np.stack([left, 0.1 * left])  # and leaks into the customer's leg at -20 dB
    words = [[_word("Hello,", 1.0, 1.5, 0)], [_word("hello", 1.05, 1.45, 1)]]
    kept = remove_crosstalk(words, samples, RATE)
    assert [w.word for w in kept[0]] == ["Hello,"] and kept[1] == []


def test_a_faint_word_without_a_twin_is_a_leak_and_is_dropped() -> None:
    right = _tone(0.5, 0.5, 2.0, 4.0)
    samples = np.stack([0.1 * right, right])
    # The left recognizer misheard the leaked word; the right one heard it properly.
    words = [[_word("budget", 2.0, 2.4, 0)], [_word("budget", 2.0, 2.5, 1)]]
    kept = remove_crosstalk(words, samples, RATE)
    assert kept[0] == [] and [w.word for w in kept[1]] == ["budget"]


def test_both_parties_talking_at_once_keep_their_own_words() -> None:
    left = _tone(1.0, 0.5, 1.0, 4.0)
    right = _tone(1.0, 0.3, 1.0, 4.0)  # quieter, but within a few dB: real overlap
    samples = np.stack([left, right])
    words = [[_word("so", 1.0, 1.3, 0)], [_word("yes", 1.1, 1.4, 1)]]
    kept = remove_crosstalk(words, samples, RATE)
    assert [w.word for w in kept[0]] == ["so"] and [w.word for w in kept[1]] == ["yes"]


def test_times_are_read_relative_to_the_window_offset() -> None:
    left = _tone(0.5, 0.5, 1.0, 4.0)
    samples = np.stack([0.1 * left, left])  # window starting at 100 s: the word is at 101 s
    words = [[_word("right", 101.0, 101.5, 0)], []]
    assert remove_crosstalk(words, samples, RATE, offset=100.0) == [[], []]
