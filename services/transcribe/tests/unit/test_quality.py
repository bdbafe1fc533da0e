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


def test_attribution_by_time_scores_words_against_the_turn_they_fall_in():
    from transcribe.domain.quality import attribution_by_time

    turns = [(0.0, 2.0, 7), (2.0, 4.0, 9), (3.5, 5.0, 7)]  # 3.5-4.0 is overlap
    words = [(0.1, 0.5, 0), (1.0, 1.4, 0), (2.2, 2.6, 1), (2.8, 3.0, 0), (3.6, 3.9, 1)]
    result = attribution_by_time(turns, words)
    # The overlapped word is left out; labels 0/1 map to 7/9; one of four is wrong.
    assert result.aligned_words == 4
    assert result.mapping == {0: 7, 1: 9}
    assert result.accuracy == 0.75
