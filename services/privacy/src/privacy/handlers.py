"""Event handlers of the privacy service: one function per event, dependencies by name."""

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


async def on_erasure_completed(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """TODO: erasure-completed."""
    event.payload()


async def on_export_part_ready(
    event: Envelope, session: AsyncSession, runtime: ServiceRuntime
) -> None:
    """TODO: export-part-ready."""
    event.payload()
