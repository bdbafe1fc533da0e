"""API keys already looked up: key hash → principal, trusted for a few seconds.

A server polling with its key would otherwise cost a database round trip (key, user,
team) per request. A key that authenticated is remembered for ``ttl_seconds``
(``GATEWAY_API_KEY_CACHE_SECONDS``, 5 s); unknown or revoked keys are never
remembered, so guessing fills nothing.

The bound, stated: revoking a key, changing its user's role, team or analytics choice
takes effect on the replica that made the change at once (``forget_all``: any such
write empties this replica's table once it is committed, and a lookup that began
before is not stored), and on every other replica within ``ttl_seconds``.

When a key's entry expires, the requests with that key that arrive during its lookup
wait for that one lookup (``lookup``, a ``SingleFlight``) instead of each asking the
database: at 200 readers, an expiry used to send 200 identical queries at once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from gateway.adapters.single_flight import SingleFlight
from gateway.domain.principal import Principal


@dataclass(eq=False)
class ApiKeyCache:
    """Principals of recently used API keys, by key hash, for ``ttl_seconds``.

    Bounded: past ``max_entries`` keys the least recently used goes."""

    ttl_seconds: float
    _: KW_ONLY
    clock: Callable[[], float] = time.monotonic
    """Read on every use (a test moves it)."""
    max_entries: int = 10_000
    _entries: TTLCache[str, Principal] = field(init=False, repr=False)
    generation: int = field(init=False, default=0)
    """Moves on every ``forget_all``: a lookup started under an older one is not kept."""
    _lookups: SingleFlight[tuple[str, int], Principal | None] = field(
        init=False, repr=False, default_factory=SingleFlight
    )

    def __post_init__(self) -> None:
        self._entries = TTLCache(
            self.max_entries, max(self.ttl_seconds, 0), timer=lambda: self.clock()
        )

    def get(self, key_hash: str) -> Principal | None:
        return self._entries.get(key_hash)

    async def lookup(
        self, key_hash: str, find: Callable[[], Awaitable[Principal | None]]
    ) -> Principal | None:
        """The key's principal: remembered, or ``find()`` (the database), run once for
        every request that asks meanwhile and remembered if it authenticated. A request
        after ``forget_all`` does not join a lookup begun before it."""
        principal = self.get(key_hash)
        if principal is not None:
            return principal
        generation = self.generation

        async def fetch() -> Principal | None:
            found = await find()
            if found is not None:
                self.put(key_hash, found, generation)
            return found

        return await self._lookups.run((key_hash, generation), fetch)

    def put(self, key_hash: str, principal: Principal, generation: int) -> None:
        """Remember a key that authenticated, unless credentials changed since the lookup
        began (``generation`` is ``self.generation`` as read before it)."""
        if self.ttl_seconds <= 0 or generation != self.generation:
            return
        self._entries[key_hash] = principal

    def forget_all(self) -> None:
        """A key was revoked or a user's role, team or choices changed: ask again."""
        self._entries.clear()
        self.generation += 1

    def forget_all_after_commit(self, session: AsyncSession) -> None:
        """``forget_all`` when ``session`` commits: for a change written in a transaction
        that someone else commits (an event handler's). Forgetting before the commit would
        let a lookup in between read the rows as they still are and cache them again."""
        event.listen(session.sync_session, "after_commit", self._committed, once=True)

    def _committed(self, _session: Session) -> None:
        self.forget_all()
