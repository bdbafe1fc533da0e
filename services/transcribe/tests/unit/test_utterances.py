"""Grouping words into utterances."""

from __future__ import annotations

from clashtor_common.events.transcript import Word
from transcribe.domain.utterances import group_utterances, speaker_count


def _w(text: str, start: float, speaker: int) -> Word:
    return Word(word=text, start=start, end=start + 0.3, speaker=speaker, confidence=0.8)


def test_a_speaker_change_or_a_long_pause_starts_a_new_utterance():
    words = [
        _w("hi", 0.0, 0),
        _w("there", 0.4, 0),
        _w("hello", 1.0, 1),
        _w("again", 5.0, 1),  # long pause, same speaker
    ]
    utterances = group_utterances(words)
    assert [(u.speaker, u.text) for u in utterances] == [
        (0, "hi there"),
        (1, "hello"),
        (1, "again"),
    ]
    assert utterances[0].start == 0.0 and utterances[0].end == 0.7
    assert utterances[0].confidence == 0.8
    assert all(u.channel is None for u in utterances)
    assert speaker_count(utterances) == 2


def test_words_from_two_channels_are_merged_by_time():
    left = [_w("one", 0.0, 0), _w("three", 2.0, 0)]
    right = [_w("two", 1.0, 1)]
    utterances = group_utterances(left + right, channel_of={0: 0, 1: 1})
    assert [(u.text, u.channel) for u in utterances] == [("one", 0), ("two", 1), ("three", 0)]


def test_no_words_no_utterances():
    assert group_utterances([]) == []
    assert speaker_count([]) == 0
