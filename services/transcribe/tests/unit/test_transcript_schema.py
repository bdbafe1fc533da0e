"""The normalized transcript schema shared with the score service."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clashtor_common.events.transcript import Transcript, Utterance, Word


def _utterance(speaker: int, start: float, words: list[str]) -> Utterance:
    items = [
        Word(word=w, start=start + i * 0.5, end=start + i * 0.5 + 0.4, speaker=speaker)
        for i, w in enumerate(words)
    ]
    return Utterance(
        speaker=speaker, start=start, end=items[-1].end, text=" ".join(words), words=items
    )


def test_a_transcript_round_trips_through_json():
    transcript = Transcript(
        language="en",
        engine="local",
        model="tiny.en",
        duration=4.0,
        channels=2,
        utterances=[_utterance(0, 0.0, ["What", "budget?"]), _utterance(1, 1.5, ["Forty", "k."])],
        speakers=2,
    )
    again = Transcript.model_validate_json(transcript.model_dump_json())
    assert again == transcript
    assert again.word_count == 4
    assert again.text == "What budget? Forty k."
    assert [w.word for w in again.words] == ["What", "budget?", "Forty", "k."]


def test_a_word_cannot_end_before_it_starts():
    with pytest.raises(ValidationError, match="ends"):
        Word(word="late", start=2.0, end=1.0)


def test_words_inside_an_utterance_belong_to_its_speaker():
    with pytest.raises(ValidationError, match="speaker"):
        Utterance(
            speaker=0,
            start=0,
            end=1,
            text="hi",
            words=[Word(word="hi", start=0, end=1, speaker=1)],
        )


def test_speaker_labels_must_fit_the_speaker_count():
    with pytest.raises(ValidationError, match="out of range"):
        Transcript(
            language="en",
            engine="deepgram",
            model="nova-3",
            duration=2,
            channels=1,
            utterances=[_utterance(1, 0.0, ["hello"])],
            speakers=1,
        )


def test_only_known_engines_and_fields_are_accepted():
    with pytest.raises(ValidationError):
        Transcript(language="en", engine="other", model="x", duration=1, channels=1, speakers=0)
    with pytest.raises(ValidationError):
        Word.model_validate({"word": "x", "start": 0, "end": 1, "colour": "red"})
