"""Stereo crosstalk: keep each word only on the channel where it was really spoken.

On phone and meeting recordings each leg also carries the other side's voice, faintly
(line echo, a speakerphone, a headset that leaks). Recognizing each channel alone then
hears the loud party's words a second time on the quiet channel, attributed to the
wrong speaker. Two rules, both decided by energy in the word's own time span:

1. **Duplicates.** The same word (case and punctuation aside) recognized on both
   channels within ``PAIR_WINDOW`` seconds is one word said once: it stays on the
   channel where it is dominant (own-channel energy over other-channel energy, the
   higher wins) and is dropped from the other.
2. **Leaks.** A word with no twin whose own channel is more than ``LEAK_DB`` quieter
   than the other channel in that span is the other party heard through the line
   (the recognizer missed or misheard its twin): dropped. Real overlapping speech
   (both talking at once) has the two channels within a few dB of each other and is
   kept on both; crosstalk sits 15-30 dB below the voice it copies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from clashtor_common.events.transcript import Word

PAIR_WINDOW = 0.6  # seconds between the midpoints of twin words
LEAK_DB = 12.0
_PAD = 0.05  # seconds around a word's span: recognizer timestamps are approximate
_NORMALIZE = re.compile(r"[^\w']+")


def remove_crosstalk(
    words: Sequence[Sequence[Word]], samples: np.ndarray, sample_rate: int, offset: float = 0.0
) -> list[list[Word]]:
    """Per channel, the words that channel really carries (see the module docstring).

    ``words[c]`` are channel ``c``'s words with absolute times; ``samples`` is the
    ``(channels, n)`` window they were recognized in, starting at ``offset`` seconds.
    """
    if len(words) < 2:
        return [list(w) for w in words]
    dominance = [
        [_dominance(samples, channel, w, sample_rate, offset) for w in channel_words]
        for channel, channel_words in enumerate(words)
    ]
    dropped = [np.zeros(len(w), dtype=bool) for w in words]
    for a in range(len(words)):
        for b in range(a + 1, len(words)):
            _drop_twins(words[a], words[b], dominance[a], dominance[b], dropped[a], dropped[b])
    return [
        [
            w
            for i, w in enumerate(channel_words)
            if not dropped[c][i] and dominance[c][i] >= -LEAK_DB
        ]
        for c, channel_words in enumerate(words)
    ]


def _drop_twins(
    left: Sequence[Word],
    right: Sequence[Word],
    left_db: Sequence[float],
    right_db: Sequence[float],
    left_dropped: np.ndarray,
    right_dropped: np.ndarray,
) -> None:
    """Pair each word with its nearest same-text word on the other channel, greedily."""
    right_keys = [_key(w) for w in right]
    right_mids = np.array([(w.start + w.end) / 2 for w in right])
    for i, word in enumerate(left):
        key = _key(word)
        if not key or right_mids.size == 0:
            continue
        mid = (word.start + word.end) / 2
        near = np.flatnonzero(np.abs(right_mids - mid) <= PAIR_WINDOW)
        twins = [j for j in near if right_keys[j] == key and not right_dropped[j]]
        if not twins:
            continue
        j = min(twins, key=lambda k: abs(right_mids[k] - mid))
        if left_db[i] >= right_db[j]:
            right_dropped[j] = True
        else:
            left_dropped[i] = True


def _dominance(
    samples: np.ndarray, channel: int, word: Word, sample_rate: int, offset: float
) -> float:
    """Own-channel energy over the loudest other channel in the word's span, in dB."""
    span = _span(samples, word, sample_rate, offset)
    energy = np.square(samples[:, span], dtype=np.float64).sum(axis=1) + 1e-12
    others = np.delete(energy, channel)
    return float(10 * np.log10(energy[channel] / others.max()))


def _span(samples: np.ndarray, word: Word, sample_rate: int, offset: float) -> slice:
    n = samples.shape[1]
    start = int((word.start - _PAD - offset) * sample_rate)
    end = int(np.ceil((word.end + _PAD - offset) * sample_rate))
    start = min(max(start, 0), n)
    return slice(start, min(max(end, start + 1), n))


def _key(word: Word) -> str:
    return _NORMALIZE.sub("", word.word.lower())
