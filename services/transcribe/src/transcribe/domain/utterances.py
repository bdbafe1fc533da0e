"""Group recognized words into utterances: the unit a transcript shows and score reads.

A new utterance starts when the speaker changes or when the same speaker pauses longer
than ``max_gap`` (Deepgram's default split is 0.8 s; a little longer keeps sentences
of synthetic and hesitant speakers together).
"""

from __future__ import annotations

from collections.abc import Iterable

from clashtor_common.events.transcript import Utterance, Word

DEFAULT_MAX_GAP = 1.0


def group_utterances(
    words: Iterable[Word],
    *,
    channel_of: dict[int, int] | None = None,
    max_gap: float = DEFAULT_MAX_GAP,
) -> list[Utterance]:
    """Utterances from words (any order), each word keeping its speaker.

    ``channel_of`` maps speaker → source channel for multichannel audio; leave it out
    for mono, where the channel is None.
    """
    ordered = sorted(words, key=lambda w: (w.start, w.end))
    utterances: list[Utterance] = []
    current: list[Word] = []
    for word in ordered:
        if current and (
            word.speaker != current[-1].speaker or word.start - current[-1].end > max_gap
        ):
            utterances.append(_utterance(current, channel_of))
            current = []
        current.append(word)
    if current:
        utterances.append(_utterance(current, channel_of))
    return utterances


def _utterance(words: list[Word], channel_of: dict[int, int] | None) -> Utterance:
    speaker = words[0].speaker
    return Utterance(
        speaker=speaker,
        channel=None if channel_of is None else channel_of.get(speaker),
        start=words[0].start,
        end=max(w.end for w in words),
        text=" ".join(w.word for w in words),
        confidence=round(sum(w.confidence for w in words) / len(words), 4),
        words=words,
    )


def speaker_count(utterances: Iterable[Utterance]) -> int:
    """Labels are 0..n-1, so the count is the highest label plus one."""
    labels = [u.speaker for u in utterances]
    return max(labels) + 1 if labels else 0
