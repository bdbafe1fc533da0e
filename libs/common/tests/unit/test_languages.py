"""The language an uploader may set: 'auto' or a code Whisper transcribes, nothing else."""

from __future__ import annotations

import pytest

from clashtor_common.languages import UnknownLanguage, parse_language


@pytest.mark.parametrize(
    ("raw", "code"),
    [(None, None), ("", None), ("auto", None), (" AUTO", None), ("pt", "pt"), (" De ", "de")],
)
def test_auto_blank_and_known_codes_are_accepted(raw: str | None, code: str | None) -> None:
    assert parse_language(raw) == code


@pytest.mark.parametrize("raw", ["xx", "english", "pt-BR", "jw", "yue", "e n", "x" * 500])
def test_anything_else_is_refused_with_a_short_message(raw: str) -> None:
    with pytest.raises(UnknownLanguage, match="ISO 639-1") as caught:
        parse_language(raw)
    assert len(str(caught.value)) < 200, "a huge value is not echoed whole"
