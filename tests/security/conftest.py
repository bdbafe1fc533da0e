"""Attack tests: each drives one hole of issue 11 through the public API of the running
system (``stack`` from ``tests/conftest.py``: real broker, S3, databases, SMTP sink),
the same one the end-to-end tests use."""

from __future__ import annotations

from pathlib import Path

import pytest

from clashtor_callgen import generate_call, short_script


@pytest.fixture(scope="session")
def audio() -> Path:
    """One small real recording."""
    return generate_call(short_script(), layout="stereo", fmt="wav").path


@pytest.fixture(scope="session")
def other_audio() -> Path:
    """Another recording (other bytes: ingest answers the same bytes with the same call)."""
    return generate_call(short_script(), layout="stereo", fmt="ogg").path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
