"""The API key cache: kept for its time, bounded, and never refilled by a lookup that
began before credentials changed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from clashtor_common.db import Database
from gateway.adapters.api_key_cache import ApiKeyCache
from gateway.domain.permissions import Role
from gateway.domain.principal import Principal

REP = Principal(user_id="u1", org_id="o1", role=Role.REP, via="api_key", credential_id="k1")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_trusted_for_the_cache_time_only() -> None:
    clock = Clock()
    cache = ApiKeyCache(5, clock=clock)
    cache.put("h1", REP, cache.generation)
    clock.now += 4.9
    assert cache.get("h1") == REP
    clock.now += 0.1
    assert cache.get("h1") is None


def test_the_clock_can_be_moved_after_construction() -> None:
    cache = ApiKeyCache(5)
    cache.put("h1", REP, cache.generation)
    cache.clock = lambda: 1e12  # what a test of another replica does
    assert cache.get("h1") is None


def test_no_time_means_no_cache() -> None:
    cache = ApiKeyCache(0)
    cache.put("h1", REP, cache.generation)
    assert cache.get("h1") is None


def test_forget_all_empties_it_and_refuses_a_lookup_begun_before() -> None:
    cache = ApiKeyCache(5)
    cache.put("h1", REP, cache.generation)
    began = cache.generation  # a lookup reads the database…
    cache.forget_all()  # …while a key is revoked and committed
    assert cache.get("h1") is None
    cache.put("h2", REP, began)
    assert cache.get("h2") is None, "what the lookup read may be the revoked key"
    cache.put("h2", REP, cache.generation)
    assert cache.get("h2") == REP


def test_the_table_is_bounded_and_keeps_the_keys_in_use() -> None:
    cache = ApiKeyCache(5, max_entries=3)
    cache.put("busy", REP, cache.generation)
    for n in range(10):
        cache.put(f"h{n}", REP, cache.generation)
        assert cache.get("busy") == REP
    assert len(cache._entries) == 3


async def test_forget_all_after_commit_waits_for_the_commit(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
    cache = ApiKeyCache(5)
    try:
        for outcome in ("rollback", "commit"):
            cache.put("h1", REP, cache.generation)
            async with AsyncSession(db.engine) as session:
                await session.execute(text("SELECT 1"))
                cache.forget_all_after_commit(session)
                assert cache.get("h1") == REP, "the change is not visible to others yet"
                await getattr(session, outcome)()
            assert (cache.get("h1") is None) == (outcome == "commit")
    finally:
        await db.dispose()
