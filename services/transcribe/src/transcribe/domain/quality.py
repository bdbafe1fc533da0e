"""How good is a transcript? Word error rate and speaker attribution, against ground truth.

Both metrics compare normalized words (lower case, no punctuation, numbers spelled out),
so formatting choices of an engine do not count as errors.

Speaker attribution is measured on the words the recognizer got right or substituted,
paired with reference words by the same alignment that WER uses: for each aligned pair,
does the hypothesis word carry the speaker who really said the reference word?
Inserted and deleted words have no partner and are left out (WER already counts them).
Speaker labels from diarization are arbitrary, so the score is taken under the best
one-to-one relabelling of hypothesis speakers (``best_permutation=True``); for stereo,
where speaker == channel is a fact, pass ``best_permutation=False``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jiwer

from transcribe.domain.numbers import number_to_words

_NUMBER = re.compile(r"^(\d[\d,]*(?:\.\d+)?)$")
_TOKEN = re.compile(r"\$?\d[\d,]*(?:\.\d+)?%?|[a-z]+(?:'[a-z]+)*")


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation; ``$40,000`` → ``forty thousand dollars``."""
    words: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("-", " ")):
        if token[0] == "$" or token[0].isdigit():
            dollars = token.startswith("$")
            percent = token.endswith("%")
            core = token.strip("$%").rstrip(",")
            if _NUMBER.match(core):
                words.extend(number_to_words(core).split())
            if dollars:
                words.append("dollars")
            if percent:
                words.append("percent")
        else:
            words.append(token)
    return words


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of ``hypothesis`` against ``reference`` after normalization (0 = perfect)."""
    ref = normalize_words(reference)
    if not ref:
        raise ValueError("reference text has no words")
    hyp = normalize_words(hypothesis)
    if not hyp:
        return 1.0
    return float(jiwer.wer(" ".join(ref), " ".join(hyp)))


@dataclass(frozen=True)
class Attribution:
    accuracy: float  # fraction of aligned words with the right speaker
    aligned_words: int
    mapping: dict[int, int]  # hypothesis label -> reference label used for the score


def speaker_attribution(
    reference: Iterable[tuple[str, int]],
    hypothesis: Iterable[tuple[str, int]],
    *,
    best_permutation: bool = True,
) -> Attribution:
    """Score speakers of ``hypothesis`` words against ``reference`` words.

    Both arguments are ``(word, speaker)`` sequences in spoken order (words may carry
    punctuation or digits; they are normalized here).
    """
    ref = _normalized_pairs(reference)
    hyp = _normalized_pairs(hypothesis)
    if not ref:
        raise ValueError("reference has no words")
    pairs = _aligned_pairs([w for w, _ in ref], [w for w, _ in hyp])
    if not pairs:
        return Attribution(0.0, 0, {})
    counts: dict[tuple[int, int], int] = {}
    for ref_index, hyp_index in pairs:
        key = (hyp[hyp_index][1], ref[ref_index][1])
        counts[key] = counts.get(key, 0) + 1
    hyp_labels = sorted({h for h, _ in counts})
    ref_labels = sorted({r for _, r in counts} | {s for _, s in ref})
    if best_permutation:
        mapping = _best_mapping(hyp_labels, ref_labels, counts)
    else:
        mapping = {label: label for label in hyp_labels}
    correct = sum(n for (h, r), n in counts.items() if mapping.get(h) == r)
    return Attribution(correct / len(pairs), len(pairs), mapping)


def _normalized_pairs(words: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(norm, speaker) for word, speaker in words for norm in normalize_words(word)]


def _aligned_pairs(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int, int]]:
    if not hyp:
        return []
    output = jiwer.process_words(" ".join(ref), " ".join(hyp))
    pairs: list[tuple[int, int]] = []
    for chunk in output.alignments[0]:
        if chunk.type in ("equal", "substitute"):
            span = chunk.ref_end_idx - chunk.ref_start_idx
            pairs.extend((chunk.ref_start_idx + i, chunk.hyp_start_idx + i) for i in range(span))
    return pairs


def _best_mapping(
    hyp_labels: list[int], ref_labels: list[int], counts: dict[tuple[int, int], int]
) -> dict[int, int]:
    """One-to-one relabelling maximizing agreement (brute force: a call has few speakers)."""
    if len(hyp_labels) > 8 or len(ref_labels) > 8:
        raise ValueError("too many speakers for an exhaustive label search")
    targets = ref_labels + [-(i + 1) for i in range(max(0, len(hyp_labels) - len(ref_labels)))]
    best: dict[int, int] = {}
    best_score = -1
    for chosen in itertools.permutations(targets, len(hyp_labels)):
        mapping = dict(zip(hyp_labels, chosen, strict=True))
        score = sum(n for (h, r), n in counts.items() if mapping[h] == r)
        if score > best_score:
            best, best_score = mapping, score
    return best


def attribution_by_time(
    segments: Iterable[tuple[float, float, int]],
    words: Iterable[tuple[float, float, int]],
) -> Attribution:
    """Speaker attribution by word time, for references that give speaker turns
    (RTTM/STM) rather than a word list: each hypothesis word ``(start, end, speaker)``
    whose midpoint falls inside exactly one reference turn ``(start, end, speaker)`` is
    scored against that turn's speaker, under the best relabelling. Words in silence or
    in overlapped speech have no single truth and are left out."""
    turns = list(segments)
    counts: dict[tuple[int, int], int] = {}
    scored = 0
    for start, end, label in words:
        mid = (start + end) / 2
        owners = {s for a, b, s in turns if a <= mid <= b}
        if len(owners) != 1:
            continue
        key = (label, owners.pop())
        counts[key] = counts.get(key, 0) + 1
        scored += 1
    if not scored:
        return Attribution(0.0, 0, {})
    hyp_labels = sorted({h for h, _ in counts})
    ref_labels = sorted({s for _, _, s in turns})
    mapping = _best_mapping(hyp_labels, ref_labels, counts)
    correct = sum(n for (h, r), n in counts.items() if mapping.get(h) == r)
    return Attribution(correct / scored, scored, mapping)
