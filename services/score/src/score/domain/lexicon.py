"""Questions and filler words, counted from an utterance's display text.

Both rely on the punctuation the transcription engines put in (Deepgram with
``punctuate``/``smart_format``, Whisper by default).

- A question is a sentence that ends in ``?`` (``??`` counts once).
- Hesitation sounds (um, uh, erm, ...) are always fillers.
- Discourse fillers ("like", "you know", "I mean", "basically", "actually",
  "literally") count only when set off by punctuation on both sides ("it's, like,
  fast", "You know, we tried"), because the same words carry meaning elsewhere ("I
  like it", "you know the answer").

Both depend on the language, so each has the languages it is right for; for any other
the metric is reported as not available rather than counted wrong:

- questions: languages whose transcripts end a question with "?" (``¿…?`` counts once);
  not, for instance, Greek (";"), Arabic ("؟") or Chinese and Japanese ("？").
- fillers: English only (the lists above are English words).
"""

from __future__ import annotations

import re

HESITATIONS = ("um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "hmm")
DISCOURSE_FILLERS = ("like", "you know", "i mean", "basically", "actually", "literally")

QUESTION_LANGUAGES = frozenset({"en", "de", "fr", "es", "it", "pt", "nl"})
FILLER_LANGUAGES = frozenset({"en"})

_QUESTION = re.compile(r"\?+")
_HESITATION = re.compile(r"(?<![\w'])(?:" + "|".join(HESITATIONS) + r")(?![\w'])", re.IGNORECASE)
_DISCOURSE = re.compile(
    r"(?:^|[,.;:!?—–-])\s*(?:"
    + "|".join(d.replace(" ", r"\s+") for d in DISCOURSE_FILLERS)
    + r")\s*(?=[,.;:!?—–-])",
    re.IGNORECASE,
)


def count_questions(text: str) -> int:
    return len(_QUESTION.findall(text))


def count_fillers(text: str) -> int:
    return len(_HESITATION.findall(text)) + len(_DISCOURSE.findall(text))


def primary_language(tag: str) -> str:
    """``en-US`` → ``en``: the lexicons do not depend on the region."""
    return tag.strip().lower().replace("_", "-").split("-")[0]
