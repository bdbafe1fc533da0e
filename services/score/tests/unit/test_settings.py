"""Score settings: the OpenAI key under both names, and the coach built from them."""

from __future__ import annotations

import pytest

from score.adapters.openai_coach import OpenAICoach
from score.bootstrap import build_coach
from score.domain.coaching import LocalCoach
from score.settings import ScoreSettings


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("SCORE_OPENAI_API_KEY", raising=False)


def test_without_a_key_the_local_engine_coaches() -> None:
    settings = ScoreSettings()
    assert settings.openai_api_key is None
    assert isinstance(build_coach(settings), LocalCoach)


def test_the_unprefixed_openai_key_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-plain")
    key = ScoreSettings().openai_api_key
    assert key is not None and key.get_secret_value() == "sk-plain"


def test_the_prefixed_key_wins_over_the_unprefixed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-plain")
    monkeypatch.setenv("SCORE_OPENAI_API_KEY", "sk-score")
    key = ScoreSettings().openai_api_key
    assert key is not None and key.get_secret_value() == "sk-score"


def test_with_a_key_the_openai_coach_uses_the_configured_model_url_and_timeouts() -> None:
    settings = ScoreSettings(
        openai_api_key="sk-x",
        openai_model="gpt-4.1-mini",
        openai_base_url="http://127.0.0.1:9/v1",
        openai_timeout_seconds=7,
        openai_http_attempts=2,
    )
    coach = build_coach(settings)
    try:
        assert isinstance(coach, OpenAICoach)
        assert coach.settings.model == "gpt-4.1-mini"
        assert coach.settings.base_url == "http://127.0.0.1:9/v1"
        assert (coach.settings.timeout_s, coach.settings.http_attempts) == (7, 2)
        assert str(coach.client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
    finally:
        coach.close()


def test_the_default_secrets_are_refused_in_production() -> None:
    with pytest.raises(ValueError, match="master_keys must be set"):
        ScoreSettings(environment="production")
