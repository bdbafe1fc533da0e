"""Event handlers of the score service: one function per event, dependencies by name."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.events import Envelope
from clashtor_common.service import ServiceRuntime

BoundHandler = Callable[[Envelope, AsyncSession], Awaitable[None]]


def bind(
    handler: Callable[[Envelope, AsyncSession, ServiceRuntime], Awaitable[None]],
    runtime: ServiceRuntime,
) -> BoundHandler:
    return functools.partial(handler, runtime=runtime)


async def on_call_transcribed(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """TODO: call-transcribed."""
    event.payload()


async def on_erasure_requested(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """TODO: erasure-requested."""
    event.payload()


async def on_export_requested(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """TODO: export-requested."""
    event.payload()
