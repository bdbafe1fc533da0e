"""Fixtures of score's integration tests on the real broker, database and S3.

One score app per module (a module that needs other settings overrides ``score``), the
transcripts a stand-in for transcribe stores, and a reader of ``call-scored``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clashtor_common.testing.kafka import topic_reader_fixture

from .support import BusCalls, RunningScore, TopicReader, Transcripts, running_score, score_settings


@pytest.fixture(scope="module")
def score_overrides() -> dict[str, Any]:
    """Settings a module runs score with: a module overrides this fixture, not ``score``."""
    return {}


@pytest.fixture(scope="module")
async def score(
    kafka_bootstrap: str,
    database_url: str,
    s3_settings: dict[str, Any],
    score_overrides: dict[str, Any],
) -> AsyncIterator[RunningScore]:
    settings = score_settings(kafka_bootstrap, database_url, s3_settings, **score_overrides)
    async with running_score(settings) as svc:
        yield svc


scored = topic_reader_fixture("call-scored", TopicReader)


@pytest.fixture(scope="module")
def transcripts(s3_settings: dict[str, Any]) -> Transcripts:
    return Transcripts(s3_settings)


@pytest.fixture(scope="module")
def bus(
    score: RunningScore, kafka_bootstrap: str, transcripts: Transcripts, scored: TopicReader
) -> BusCalls:
    """Scores calls over the broker (``score`` first: its consumer group is in place)."""
    return BusCalls(kafka_bootstrap, transcripts, scored)
