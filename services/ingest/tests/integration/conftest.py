"""One ingest app per test module on the real broker, S3 and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clashtor_common.testing.apps import service_fixtures
from ingest.context import context_of
from ingest.main import create_app
from ingest.settings import IngestSettings

from .support import IngestClient, Publisher, ingest_settings


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> IngestSettings:
    return ingest_settings(kafka_bootstrap, database_url, s3_settings)


app_runtime, ctx, client = service_fixtures(create_app, context_of, IngestClient)


@pytest.fixture(scope="module")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[Publisher]:
    p = Publisher(kafka_bootstrap)
    await p.start()
    yield p
    await p.stop()
