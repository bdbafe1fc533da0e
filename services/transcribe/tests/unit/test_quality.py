"""WER and speaker-attribution metrics used by tests and the benchmark."""

from __future__ import annotations

import pytest

from transcribe.domain.numbers import int_to_words
from transcribe.domain.quality import normalize_words, speaker_attribution, word_error_rate


def test_numbers_and_currency_are_compared_as_words():
    assert normalize_words("Our budget is $40,000, about 15% more.") == [
        *[
            "our",
            "budget",
            "is",
            "forty",
            "thousand",
            "dollars",
            "about",
            "fifteen",
            "percent",
            "more",
        ]
    ]
    assert int_to_words(1_250_017) == "one million two hundred fifty thousand seventeen"


def test_formatting_differences_are_not_errors():
    reference = "Our budget is around forty thousand dollars per year."
    assert word_error_rate(reference, "our budget is around $40,000 per year") == 0.0


def test_word_error_rate_counts_substitutions_deletions_and_insertions():
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)
    assert word_error_rate("a b", "") == 1.0
    with pytest.raises(ValueError):
        word_error_rate("", "anything")


def test_attribution_uses_the_best_label_permutation_for_diarized_labels():
    reference = [("hello", 0), ("there", 0), ("hi", 1), ("back", 1)]
    swapped = [("hello", 1), ("there", 1), ("hi", 0), ("back", 0)]
    assert speaker_attribution(reference, swapped).accuracy == 1.0
    assert speaker_attribution(reference, swapped, best_permutation=False).accuracy == 0.0


def test_attribution_counts_only_aligned_words():
    reference = [("what", 0), ("is", 0), ("the", 0), ("budget", 0), ("forty", 1), ("k", 1)]
    hypothesis = [("what", 0), ("the", 0), ("budget", 1), ("forty", 1), ("k", 1)]
    result = speaker_attribution(reference, hypothesis, best_permutation=False)
    assert result.aligned_words == 5
    assert result.accuracy == pytest.approx(4 / 5)


def test_one_label_for_everything_scores_the_majority_share():
    reference = [("a", 0), ("b", 0), ("c", 0), ("d", 1)]
    result = speaker_attribution(reference, [(w, 0) for w, _ in reference])
    assert result.accuracy == pytest.approx(0.75)
