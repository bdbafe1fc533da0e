"""A streamed request body that must keep arriving: a stalled or crawling client is cut
off instead of pinning the request (and whatever it holds downstream) for ever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator


class ArrivedTooSlowly(Exception):
    """The body did not arrive in time; the message says which limit and is safe to show."""


async def arriving_in_time(
    body: AsyncIterable[bytes], *, total_seconds: float, idle_seconds: float | None = None
) -> AsyncIterator[bytes]:
    """``body``'s chunks while the whole of it arrives within ``total_seconds`` of the
    first ask and no wait for the next chunk lasts ``idle_seconds``; else
    ``ArrivedTooSlowly``. Only the waits for the sender count against ``idle_seconds``;
    the total is wall time, time spent passing chunks on included."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total_seconds
    chunks = aiter(body)
    while True:
        idle_until = loop.time() + idle_seconds if idle_seconds is not None else deadline
        until = min(deadline, idle_until)
        try:
            async with asyncio.timeout_at(until):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError as exc:
            if until < deadline:
                raise ArrivedTooSlowly(
                    f"nothing of the upload arrived for {idle_seconds:g} s; send it again"
                ) from exc
            raise ArrivedTooSlowly(
                f"the upload took longer than {total_seconds:g} s to arrive; send it again "
                "over a faster connection"
            ) from exc
        yield chunk
