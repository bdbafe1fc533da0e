"""Fixtures of the score service tests: the local OpenAI stub server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clashtor_common.testing.modules import load_module
from clashtor_common.testing.servers import running

TESTS = Path(__file__).parent


openai_stub_module = load_module(TESTS / "openai_stub.py", "score_tests_openai_stub")


@pytest.fixture(scope="session")
def recorded_coach_reply() -> dict[str, Any]:
    """A structured reply recorded for ``DISCOVERY_CALL`` in the OpenAI coach tests."""
    reply: dict[str, Any] = json.loads((TESTS / "fixtures" / "coach_reply.json").read_text())
    return reply


@pytest.fixture(scope="session")
def _openai_stub_server(recorded_coach_reply: dict[str, Any]) -> Iterator[Any]:
    with running(openai_stub_module.OpenAIStub(recorded_coach_reply)) as stub:
        yield stub


@pytest.fixture
def openai_stub(_openai_stub_server: Any) -> Any:
    """The running stub, reset to answer every request with the recorded reply."""
    _openai_stub_server.reset()
    return _openai_stub_server
