"""Settings pick the engine and keep the transcription batch at one event."""

from __future__ import annotations

import pytest

from transcribe.adapters.deepgram_engine import DeepgramEngine
from transcribe.adapters.engines import make_engine
from transcribe.adapters.whisper_engine import WhisperEngine
from transcribe.settings import TranscribeSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DEEPGRAM_API_KEY",
        "TRANSCRIBE_DEEPGRAM_API_KEY",
        "TRANSCRIBE_CONSUMER_BATCH_SIZE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_without_a_key_the_local_engine_runs_one_event_per_transaction() -> None:
    settings = TranscribeSettings()
    assert settings.consumer_batch_size == 1
    assert settings.transcription_config().engine_name == "local"
    assert isinstance(make_engine(settings.transcription_config()), WhisperEngine)


@pytest.mark.parametrize("variable", ["DEEPGRAM_API_KEY", "TRANSCRIBE_DEEPGRAM_API_KEY"])
async def test_a_deepgram_key_from_either_variable_selects_deepgram(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "dg-secret")
    config = TranscribeSettings().transcription_config()
    assert config.deepgram is not None and config.deepgram.api_key == "dg-secret"
    engine = make_engine(config)
    try:
        assert isinstance(engine, DeepgramEngine)
    finally:
        await engine.aclose()


def test_the_prefixed_key_wins_and_the_key_is_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEEPGRAM_API_KEY", "generic")
    monkeypatch.setenv("TRANSCRIBE_DEEPGRAM_API_KEY", "service-own")
    settings = TranscribeSettings()
    deepgram = settings.transcription_config().deepgram
    assert deepgram is not None and deepgram.api_key == "service-own"
    assert "service-own" not in repr(settings)


def test_whisper_options_reach_the_engine_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSCRIBE_WHISPER_CPU_THREADS", "4")
    monkeypatch.setenv("TRANSCRIBE_WHISPER_BEAM_SIZE", "3")
    whisper = TranscribeSettings(language="en").transcription_config().whisper
    assert (whisper.cpu_threads, whisper.beam_size, whisper.compute_type) == (4, 3, "int8")


def test_the_default_is_whisper_base_detecting_the_language_with_vad() -> None:
    whisper = TranscribeSettings().transcription_config().whisper
    assert (whisper.model_name, whisper.language, whisper.vad_filter) == ("base", "auto", True)
    assert whisper.multilingual


def test_tiny_en_is_a_setting_away_and_english_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSCRIBE_WHISPER_MODEL_NAME", "tiny.en")
    whisper = TranscribeSettings().transcription_config().whisper
    assert whisper.model_name == "tiny.en" and not whisper.multilingual


def test_an_unpackaged_model_name_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSCRIBE_WHISPER_MODEL_NAME", "large-v3")
    with pytest.raises(ValueError, match="not packaged"):
        TranscribeSettings()


def test_languages_per_organization_come_from_json_and_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRANSCRIBE_ORG_LANGUAGES", '{"org-1": "de", "org-2": "pt"}')
    assert TranscribeSettings().org_languages == {"org-1": "de", "org-2": "pt"}
    monkeypatch.setenv("TRANSCRIBE_ORG_LANGUAGES", '{"org-1": "German"}')
    with pytest.raises(ValueError, match="ISO 639-1"):
        TranscribeSettings()
