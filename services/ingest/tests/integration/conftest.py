"""One ingest app per test module on the real broker, S3 and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clashtor_common.testing.apps import serve
from ingest.context import IngestContext, context_of
from ingest.main import create_app
from ingest.settings import IngestSettings

from .support import IngestClient, Publisher, ingest_settings


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> IngestSettings:
    return ingest_settings(kafka_bootstrap, database_url, s3_settings)


@pytest.fixture(scope="module")
async def app_runtime(settings: IngestSettings) -> AsyncIterator[tuple[str, Any]]:
    app = create_app(settings)
    async with serve(app) as base_url:
        yield base_url, app.state.runtime


@pytest.fixture(scope="module")
def ctx(app_runtime: tuple[str, Any]) -> IngestContext:
    return context_of(app_runtime[1])


@pytest.fixture(scope="module")
async def client(
    app_runtime: tuple[str, Any], settings: IngestSettings
) -> AsyncIterator[IngestClient]:
    c = IngestClient(app_runtime[0], settings)
    yield c
    await c.close()


@pytest.fixture(scope="module")
async def publisher(kafka_bootstrap: str) -> AsyncIterator[Publisher]:
    p = Publisher(kafka_bootstrap)
    await p.start()
    yield p
    await p.stop()
