"""The call's own language wins over its organization's, which wins over detection."""

from __future__ import annotations

from transcribe.domain.language import requested_language


def test_a_language_set_at_upload_wins_over_the_organization() -> None:
    assert requested_language("es", "de") == ("es", "upload")


def test_the_organization_language_applies_when_the_upload_sets_none() -> None:
    assert requested_language(None, "de") == ("de", "organization")


def test_with_neither_the_engine_decides() -> None:
    assert requested_language(None, None) == (None, None)
