"""Fixtures of score's integration tests on the real broker, database and S3.

One score app per module (a module that needs other settings overrides ``score``), the
transcripts a stand-in for transcribe stores, and a reader of ``call-scored``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clashtor_common.testing.kafka import topic_reader_fixture

from .support import RunningScore, TopicReader, Transcripts, running_score, score_settings


@pytest.fixture(scope="module")
async def score(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> AsyncIterator[RunningScore]:
    async with running_score(score_settings(kafka_bootstrap, database_url, s3_settings)) as svc:
        yield svc


scored = topic_reader_fixture("call-scored", TopicReader)


@pytest.fixture(scope="module")
def transcripts(s3_settings: dict[str, Any]) -> Transcripts:
    return Transcripts(s3_settings)
