"""Fixtures of the privacy integration tests: one privacy app per module on the real parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from clashtor_common.testing.kafka import topic_reader_fixture

from .support import PrivacyUnderTest, SimulatedServices, running_privacy


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


erasure_requests = topic_reader_fixture("erasure-requested")
export_requests = topic_reader_fixture("export-requested")
restrictions = topic_reader_fixture("subject-restricted")
rectifications = topic_reader_fixture("subject-rectified")
outcomes = topic_reader_fixture("privacy-request-completed")
