"""Spell numbers as words, so "$40,000" and "forty thousand dollars" compare equal.

Engines format numbers differently (whisper writes digits, scripts are written in words,
Deepgram's smart_format writes currency), so text comparison normalizes both sides to
words before counting errors.
"""

from __future__ import annotations

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))


def int_to_words(number: int) -> str:
    if number < 0:
        return "minus " + int_to_words(-number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + int_to_words(rest))
    for scale, name in _SCALES:
        if number >= scale:
            head, rest = divmod(number, scale)
            return int_to_words(head) + " " + name + ("" if rest == 0 else " " + int_to_words(rest))
    raise AssertionError("unreachable")


def number_to_words(text: str) -> str:
    """``"40,000"`` → ``"forty thousand"``, ``"1.5"`` → ``"one point five"``."""
    digits = text.replace(",", "")
    whole, _, fraction = digits.partition(".")
    words = int_to_words(int(whole)) if whole else "zero"
    if fraction:
        words += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return words
