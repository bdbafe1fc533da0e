"""One answer for concurrent identical asks: the first runs, the others await its result.

Every cache on the gateway's read path has a moment when it has nothing to give: an API
key's entry expired, an organization's account status is due, a call's view must be
checked with its owners. Under load, every reader arrives at that moment together (200
readers of one call, one key): without this each of them would ask the database or the
service itself, at once (a stampede), and all wait for the slowest of those answers.

``SingleFlight.run(key, fetch)`` starts ``fetch()`` for the first caller of ``key`` and
hands every caller that comes while it is under way the same result (or the same
error). Nothing is kept after it finishes: the next caller starts a new fetch. So what
a caller gets was fetched at most one fetch's duration before it asked; a key that
names what the answer depends on (the caller, a generation moved by a change) keeps a
caller from joining a fetch begun before that change. The fetch runs in a task of its
own: a caller that goes away (a client disconnecting) does not cancel it for the others.
That task starts in the first caller's context, so the fetch's spans and log lines (its
requests to other services) are traced and logged under the first caller's request; the
callers who joined it show only their own request's span.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Fetches under way, by key."""

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The result of the fetch of ``key`` under way, or of ``fetch()`` started now."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(fetch())
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(flight)

    def close_to_joiners(self, key: K) -> None:
        """Called from inside the fetch of ``key``: callers from now on start a fetch of
        their own. For a fetch whose answer reflects a moment within it (a source has
        answered): a caller arriving after that moment must not be given it."""
        if self._flights.get(key) is asyncio.current_task():
            del self._flights[key]

    def _landed(self, key: K, flight: asyncio.Task[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: every caller may have gone (no "never retrieved")
