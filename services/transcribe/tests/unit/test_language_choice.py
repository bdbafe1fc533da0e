"""The call's own language wins over its organization's, which wins over detection."""

from __future__ import annotations

from transcribe.domain.language import requested_language


def test_a_language_set_at_upload_wins_over_the_organization() -> None:
    assert requested_language("es", "de") == ("es", "upload")


def test_the_organization_language_applies_when_the_upload_sets_none() -> None:
    assert requested_language(None, "de") == ("de", "organization")


def test_with_neither_the_engine_decides() -> None:
    assert requested_language(None, None) == (None, None)


def test_every_language_an_upload_may_set_is_one_the_installed_whisper_knows() -> None:
    """Ingest accepts the shared list at upload; a code Whisper does not know would fail
    the call here, long after the uploader was told 202."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    from clashtor_common.languages import WHISPER_LANGUAGES

    assert WHISPER_LANGUAGES.issubset(_LANGUAGE_CODES)
    assert {"en", "pt", "de", "es", "fr", "zh", "ja"} <= WHISPER_LANGUAGES
    assert all(len(code) == 2 for code in WHISPER_LANGUAGES), "ISO 639-1 codes only"
