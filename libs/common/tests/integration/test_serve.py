"""The tests' ``serve``: an app whose startup fails is an error of the fixture, not the
SystemExit uvicorn ends it with (which would end a test worker's whole session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from clashtor_common.testing.apps import serve


async def test_a_startup_that_fails_raises_an_ordinary_error() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise ConnectionRefusedError("the database refused")
        yield

    with pytest.raises(RuntimeError, match="failed to start"):
        async with serve(FastAPI(lifespan=lifespan)):
            pass  # pragma: no cover - never reached
