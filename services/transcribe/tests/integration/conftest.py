"""One transcribe app per test module on the real broker, S3 and database.

A module may override ``settings`` (the Deepgram module points the engine at the
local stub); everything else follows from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clashtor_common.events import Topic
from clashtor_common.testing.apps import service_fixtures
from clashtor_common.testing.kafka import topic_reader_fixture
from transcribe.context import context_of
from transcribe.entrypoints.stream import CONSUMES
from transcribe.main import create_app
from transcribe.settings import TranscribeSettings

from .support import (
    TranscribeClient,
    Uploader,
    transcribe_settings,
)


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> TranscribeSettings:
    return transcribe_settings(kafka_bootstrap, database_url, s3_settings)


app_runtime, ctx, client = service_fixtures(
    create_app, context_of, TranscribeClient, consumes=CONSUMES
)


@pytest.fixture(scope="module")
async def uploader(settings: TranscribeSettings, kafka_bootstrap: str) -> AsyncIterator[Uploader]:
    u = Uploader(settings, kafka_bootstrap)
    await u.start()
    yield u
    await u.stop()


transcribed = topic_reader_fixture(Topic.CALL_TRANSCRIBED.value)
progressed = topic_reader_fixture(Topic.CALL_PROGRESSED.value)
failed = topic_reader_fixture(Topic.CALL_FAILED.value)
erasures = topic_reader_fixture(Topic.ERASURE_COMPLETED.value)
exports = topic_reader_fixture(Topic.EXPORT_PART_READY.value)
