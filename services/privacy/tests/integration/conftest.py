"""Fixtures of the privacy integration tests: one privacy app per module on the real parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from .support import PrivacyUnderTest, SimulatedServices, TopicReader, running_privacy


@pytest.fixture(scope="module")
async def privacy(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any]
) -> AsyncIterator[PrivacyUnderTest]:
    async with running_privacy(
        kafka_bootstrap=kafka_bootstrap, database_url=database_url, s3_settings=s3_settings
    ) as app:
        yield app


@pytest.fixture(scope="module")
async def services(
    kafka_bootstrap: str, s3_settings: dict[str, Any]
) -> AsyncIterator[SimulatedServices]:
    sim = SimulatedServices(kafka_bootstrap, s3_settings)
    await sim.start()
    yield sim
    await sim.stop()


async def _reader(bootstrap: str, topic: str) -> AsyncIterator[TopicReader]:
    reader = TopicReader(bootstrap, topic)
    await reader.start()
    yield reader
    await reader.stop()


@pytest.fixture(scope="module")
async def erasure_requests(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
    async for reader in _reader(kafka_bootstrap, "erasure-requested"):
        yield reader


@pytest.fixture(scope="module")
async def export_requests(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
    async for reader in _reader(kafka_bootstrap, "export-requested"):
        yield reader


@pytest.fixture(scope="module")
async def restrictions(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
    async for reader in _reader(kafka_bootstrap, "subject-restricted"):
        yield reader


@pytest.fixture(scope="module")
async def rectifications(kafka_bootstrap: str) -> AsyncIterator[TopicReader]:
    async for reader in _reader(kafka_bootstrap, "subject-rectified"):
        yield reader
