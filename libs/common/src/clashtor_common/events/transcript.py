"""The normalized transcript: what transcribe produces and score consumes.

Every engine (local faster-whisper, Deepgram) is mapped onto this one shape, so the
score service never sees a provider's format. The transcript itself is personal data:
it travels only as an encrypted object (claim check), never inside an event.

Conventions:
- Times are seconds (float) from the start of the recording.
- ``speaker`` is a 0-based integer label. For stereo recordings with one party per
  channel, speaker == channel. For mono recordings it comes from diarization, so the
  label says "same voice", not "who": mapping a label to a rep or a customer is the
  consumer's job (participants, talk patterns).
- ``confidence`` is in [0, 1]; engines that give no confidence report 1.0.
- ``Utterance.text`` is the display text (with punctuation where the engine gives it);
  ``Word.word`` is the token as recognized, punctuation included where the engine
  attaches it (consumers that match keywords should normalize).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Engine = Literal["local", "deepgram"]
#: Where ``Transcript.language`` comes from: detected from the audio, requested for the
#: call (upload or organization), the service's configured language, or the only
#: language the model knows (an English-only model).
LanguageSource = Literal["detected", "upload", "organization", "requested", "configured", "model"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Word(_Frozen):
    """One recognized word with its timing and speaker."""

    word: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float = Field(1.0, ge=0, le=1)
    speaker: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Word:
        if self.end < self.start:
            raise ValueError(
                f"word {self.word!r} ends ({self.end}) before it starts ({self.start})"
            )
        return self


class Utterance(_Frozen):
    """A stretch of speech by one speaker: a turn, or part of a long turn."""

    speaker: int = Field(ge=0)
    channel: int | None = Field(None, ge=0, description="source channel for multichannel audio")
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    confidence: float = Field(1.0, ge=0, le=1)
    words: list[Word] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Utterance:
        if self.end < self.start:
            raise ValueError(f"utterance ends ({self.end}) before it starts ({self.start})")
        for word in self.words:
            if word.speaker != self.speaker:
                raise ValueError(
                    f"word {word.word!r} has speaker {word.speaker}, utterance has {self.speaker}"
                )
        return self


class Transcript(_Frozen):
    """A whole call, utterances in time order."""

    language: str = Field(description="BCP-47 tag, e.g. 'en'")
    language_source: LanguageSource | None = Field(None, description="how it was decided")
    language_confidence: float | None = Field(
        None, ge=0, le=1, description="the detector's probability, when detected"
    )
    engine: Engine
    model: str = Field(description="engine model id, e.g. 'tiny.en' or 'nova-3'")
    duration: float = Field(ge=0, description="audio duration in seconds")
    channels: int = Field(ge=1)
    utterances: list[Utterance] = Field(default_factory=list)
    speakers: int = Field(ge=0, description="number of distinct speaker labels")

    @model_validator(mode="after")
    def _speakers_cover_labels(self) -> Transcript:
        labels = {u.speaker for u in self.utterances}
        if labels and max(labels) >= self.speakers:
            raise ValueError(
                f"speaker label {max(labels)} out of range for speakers={self.speakers}"
            )
        return self

    @property
    def words(self) -> list[Word]:
        """All words in time order."""
        return sorted((w for u in self.utterances for w in u.words), key=lambda w: (w.start, w.end))

    @property
    def word_count(self) -> int:
        return sum(len(u.words) for u in self.utterances)

    @property
    def text(self) -> str:
        """The whole call as plain text, utterances joined by spaces."""
        return " ".join(u.text for u in self.utterances if u.text)


__all__ = ["Engine", "LanguageSource", "Transcript", "Utterance", "Word"]
