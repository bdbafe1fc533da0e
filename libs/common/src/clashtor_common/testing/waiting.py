"""Waiting for an asynchronous system to reach a state, in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def wait_until(
    predicate: Callable[[], Any], timeout: float = 90.0, every: float = 0.1
) -> Any:
    """Poll ``predicate`` (sync or async) until it is truthy; return its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


def poll_until(
    predicate: Callable[[], Any], timeout: float = 90.0, every: float = 0.5, what: str = ""
) -> Any:
    """``wait_until`` for tests outside an event loop (whole-stack tests); ``what`` names
    the condition in the failure."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met in {timeout}s")
        time.sleep(every)
