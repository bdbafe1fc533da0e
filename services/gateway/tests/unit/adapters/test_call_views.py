"""The call view cache: bounded in entries, bytes and age, forgotten per call or organization,
and a view read before a forget is not kept."""

from __future__ import annotations

from gateway.adapters.call_views import CachedView, CallViewCache, Part


def _view(size: int = 10) -> CachedView:
    return CachedView(b"{}", Part('"t"', {}), Part('"s"', {}), b"x" * size, '"e"')


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(
    max_entries: int = 100, max_bytes: int = 10_000, clock: Clock | None = None, **more: int
) -> CallViewCache:
    return CallViewCache(
        max_entries=max_entries,
        max_bytes=max_bytes,
        max_age_seconds=30,
        clock=clock or Clock(),
        **more,
    )


def _put(cache: CallViewCache, org: str, call: str, view: CachedView) -> bool:
    return cache.put(org, call, view, since=cache.stamp())


def test_least_recently_used_views_go_first_past_the_entry_bound() -> None:
    cache = _cache(max_entries=2)
    _put(cache, "o", "a", _view())
    _put(cache, "o", "b", _view())
    assert cache.get("o", "a") is not None  # a is now the most recent
    _put(cache, "o", "c", _view())
    assert cache.get("o", "b") is None
    assert cache.get("o", "a") is not None and cache.get("o", "c") is not None


def test_the_byte_bound_holds_and_a_view_too_large_is_not_kept() -> None:
    cache = _cache(max_bytes=_view(100).size * 2)
    for call in "abc":
        _put(cache, "o", call, _view(100))
    assert len(cache) == 2
    _put(cache, "o", "huge", _view(10_000))
    assert cache.get("o", "huge") is None


def test_forget_a_call_or_every_call_of_an_organization() -> None:
    cache = _cache()
    for org, call in (("o1", "a"), ("o1", "b"), ("o2", "a")):
        _put(cache, org, call, _view())
    cache.forget("o1", "a")
    assert cache.get("o1", "a") is None and cache.get("o1", "b") is not None
    cache.forget("o1")
    assert cache.get("o1", "b") is None
    assert cache.get("o2", "a") is not None, "another organization's views stay"


async def test_no_view_is_answered_or_kept_past_its_age_limit() -> None:
    clock = Clock()
    cache = _cache(clock=clock)
    _put(cache, "o", "a", _view())
    clock.now += 29
    _put(cache, "o", "b", _view())
    assert cache.get("o", "a") is not None, "read again: its age is not renewed"
    clock.now += 1
    assert cache.get("o", "a") is None
    assert await cache.drop_expired() == 0 and len(cache) == 1
    clock.now += 29
    assert await cache.drop_expired() == 1, "unread, it goes all the same"
    assert len(cache) == 0


def test_a_view_read_before_a_forget_is_not_kept() -> None:
    cache = _cache()
    for forget in (("o", "a"), ("o",)):  # the call's erasure, the organization's (a person's)
        since = cache.stamp()  # a read begins: ingest answers the call as it was
        cache.forget(*forget)  # the erasure commits meanwhile
        assert not cache.put("o", "a", _view(), since=since)
        assert cache.get("o", "a") is None
    since = cache.stamp()
    cache.forget("o", "other")
    cache.forget("p")
    assert cache.put("o", "a", _view(), since=since), "another call's, another org's forget"


def test_past_the_tombstone_bound_every_read_under_way_is_refused() -> None:
    cache = _cache(max_tombstones=2)
    since = cache.stamp()
    cache.forget("o", "a")
    cache.forget("o", "b")
    cache.forget("o", "c")  # the table is full: one stamp for all
    assert not cache.put("p", "z", _view(), since=since)
    assert _put(cache, "p", "z", _view()), "a read begun after it is kept"


def test_a_refused_read_drops_the_view_but_leaves_no_tombstone() -> None:
    cache = _cache(max_tombstones=2)
    assert _put(cache, "o", "a", _view())
    since = cache.stamp()
    for n in range(10):  # anyone can ask for ids that are not theirs
        cache.discard("o", f"random-{n}")
    cache.discard("o", "a")
    assert cache.get("o", "a") is None
    assert cache.put("p", "z", _view(), since=since), "reads under way are still kept"
