"""Finding phrases in a transcript: case-insensitive, on word boundaries, multi-word.

Matching works on normalized tokens (lowercase letters and digits, apostrophes kept
inside words, everything else a boundary), so "Pricing," matches "pricing", "decision
maker" matches "decision-maker", and "price" never matches inside "enterprise". Each
token keeps the start time of the recognized word it came from, so a hit has the time
the phrase was said. Utterances without word timings fall back to the utterance start.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from clashtor_common.events.transcript import Transcript
from score.domain.types import Role, SaidBy, said_by_matches

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})

QUOTE_CONTEXT_WORDS = 6
"""Words of context either side of a phrase in a quote: enough to read, short to scan."""


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    tokens = tuple(tokenize(phrase))
    if not tokens:
        raise ValueError(f"phrase {phrase!r} has no words to match")
    return tokens


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: float
    word_index: int
    """Index into the utterance's display words (``words`` or the split text)."""


@dataclass(frozen=True, slots=True)
class IndexedUtterance:
    index: int
    speaker: int
    role: Role
    start: float
    display_words: tuple[str, ...]
    tokens: tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    phrase: str
    utterance_index: int
    speaker: int
    role: Role
    time: float
    quote: str


class TranscriptIndex:
    """Tokens of every utterance plus a first-token index, built once per call.

    A 2-hour call is ~20k words; looking up phrases through the first-token index keeps
    matching dozens of tracker and scorecard phrases linear in the number of hits.
    """

    def __init__(self, transcript: Transcript, roles: dict[int, Role]) -> None:
        self.utterances: list[IndexedUtterance] = []
        self._by_first: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for u_index, utterance in enumerate(transcript.utterances):
            role = roles.get(utterance.speaker, "customer")
            if utterance.words:
                display = tuple(w.word for w in utterance.words)
                starts = [w.start for w in utterance.words]
            else:
                display = tuple(utterance.text.split())
                starts = [utterance.start] * len(display)
            tokens = tuple(
                Token(text, starts[w_index], w_index)
                for w_index, word in enumerate(display)
                for text in tokenize(word)
            )
            self.utterances.append(
                IndexedUtterance(u_index, utterance.speaker, role, utterance.start, display, tokens)
            )
            for t_index, token in enumerate(tokens):
                self._by_first[token.text].append((u_index, t_index))

    def find(self, phrases: Iterable[str], said_by: SaidBy = "any") -> list[PhraseMatch]:
        """Every place one of ``phrases`` is said, in time order.

        Where several phrases match at the same spot (``"next step"`` and ``"next steps"``),
        the longest wins, and a match never overlaps the previous one in the same
        utterance, so one mention is one hit.
        """
        compiled = sorted({phrase_tokens(p): p for p in phrases}.items(), key=lambda i: -len(i[0]))
        candidates: dict[tuple[int, int], tuple[int, str]] = {}
        for tokens, phrase in compiled:
            for u_index, t_index in self._by_first.get(tokens[0], ()):
                utterance = self.utterances[u_index]
                if not said_by_matches(said_by, utterance.role):
                    continue
                window = utterance.tokens[t_index : t_index + len(tokens)]
                if tuple(t.text for t in window) != tokens:
                    continue
                candidates.setdefault((u_index, t_index), (len(tokens), phrase))
        matches: list[PhraseMatch] = []
        covered_until: dict[int, int] = {}
        for (u_index, t_index), (length, phrase) in sorted(candidates.items()):
            if t_index < covered_until.get(u_index, 0):
                continue
            covered_until[u_index] = t_index + length
            utterance = self.utterances[u_index]
            first, last = utterance.tokens[t_index], utterance.tokens[t_index + length - 1]
            matches.append(
                PhraseMatch(
                    phrase=phrase,
                    utterance_index=u_index,
                    speaker=utterance.speaker,
                    role=utterance.role,
                    time=first.start,
                    quote=self.quote(u_index, first.word_index, last.word_index),
                )
            )
        matches.sort(key=lambda m: (m.time, m.utterance_index))
        return matches

    def quote(self, u_index: int, first_word: int, last_word: int) -> str:
        """The words around a match, with ``…`` where the utterance goes on."""
        words = self.utterances[u_index].display_words
        lo = max(0, first_word - QUOTE_CONTEXT_WORDS)
        hi = min(len(words), last_word + 1 + QUOTE_CONTEXT_WORDS)
        text = " ".join(words[lo:hi])
        return ("… " if lo > 0 else "") + text + (" …" if hi < len(words) else "")

    def locate(self, quote: str) -> PhraseMatch | None:
        """Where a quote (e.g. one a language model cites) was said, or None if nowhere.

        The quote must be a contiguous run of words of one utterance; punctuation, case
        and ``…`` at the ends do not matter.
        """
        tokens = tuple(tokenize(quote))
        if not tokens:
            return None
        for u_index, t_index in self._by_first.get(tokens[0], ()):
            utterance = self.utterances[u_index]
            window = utterance.tokens[t_index : t_index + len(tokens)]
            if tuple(t.text for t in window) == tokens:
                return PhraseMatch(
                    phrase=quote,
                    utterance_index=u_index,
                    speaker=utterance.speaker,
                    role=utterance.role,
                    time=window[0].start,
                    quote=quote.strip(),
                )
        return None
