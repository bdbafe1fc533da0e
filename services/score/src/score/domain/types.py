"""Shapes the scoring core reads: the transcript as a structural protocol, and roles.

The concrete schema is ``clashtor_common.events.transcript.Transcript``; the domain
only relies on the attributes below, so it can score anything of that shape (a stored
transcript, a synthetic one for a benchmark) without caring where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

Role = Literal["rep", "customer"]
SaidBy = Literal["any", "rep", "customer"]


class WordLike(Protocol):
    @property
    def word(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


class UtteranceLike(Protocol):
    @property
    def speaker(self) -> int: ...
    @property
    def channel(self) -> int | None: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...
    @property
    def words(self) -> Sequence[WordLike]: ...


class TranscriptLike(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def duration(self) -> float: ...
    @property
    def channels(self) -> int: ...
    @property
    def speakers(self) -> int: ...
    @property
    def utterances(self) -> Sequence[UtteranceLike]: ...


class ScoringInputError(ValueError):
    """Input the scorer cannot work with; the message says what and where (→ HTTP 422)."""


def said_by_matches(said_by: SaidBy, role: Role) -> bool:
    return said_by == "any" or said_by == role


def format_clock(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss`` past an hour), the way call players show time."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
