"""Fixtures of the transcribe tests: the local Deepgram stub and generated calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clashtor_callgen import GeneratedCall, generate_call, short_script
from clashtor_common.testing.modules import load_module
from clashtor_common.testing.servers import running

TESTS = Path(__file__).parent


def _load(name: str) -> ModuleType:
    """A helper module of this directory, under a name unique to transcribe's tests."""
    return load_module(TESTS / f"{name}.py", f"transcribe_tests_{name}")


deepgram_stub_module = _load("deepgram_stub")


@pytest.fixture(scope="session")
def _deepgram_server() -> Iterator[Any]:
    with running(deepgram_stub_module.DeepgramStub()) as stub:
        yield stub


@pytest.fixture
def deepgram_stub(_deepgram_server: Any) -> Any:
    """The running stub, reset to answer every request with the recorded response."""
    _deepgram_server.reset("ok")
    return _deepgram_server


@pytest.fixture(scope="session")
def short_stereo_call() -> GeneratedCall:
    """~17 s, four turns, one speaker per channel."""
    return generate_call(short_script(), layout="stereo", fmt="wav")


@pytest.fixture(scope="session")
def short_mono_call() -> GeneratedCall:
    """The same four turns mixed to one channel, as MP3."""
    return generate_call(short_script(), layout="mono", fmt="mp3")
