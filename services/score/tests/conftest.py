"""Fixtures of the score service tests: the local OpenAI stub server."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TESTS = Path(__file__).parent


def _load_stub_module() -> ModuleType:
    """Load ``openai_stub.py`` under a service-unique name (tests run in importlib mode)."""
    name = "score_tests_openai_stub"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / "openai_stub.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


openai_stub_module = _load_stub_module()


@pytest.fixture(scope="session")
def recorded_coach_reply() -> dict[str, Any]:
    """A structured reply recorded for ``DISCOVERY_CALL`` in the OpenAI coach tests."""
    reply: dict[str, Any] = json.loads((TESTS / "fixtures" / "coach_reply.json").read_text())
    return reply


@pytest.fixture(scope="session")
def _openai_stub_server(recorded_coach_reply: dict[str, Any]) -> Iterator[Any]:
    stub = openai_stub_module.OpenAIStub(recorded_coach_reply)
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def openai_stub(_openai_stub_server: Any) -> Any:
    """The running stub, reset to answer every request with the recorded reply."""
    _openai_stub_server.reset()
    return _openai_stub_server
