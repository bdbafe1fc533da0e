"""The call view cache: bounded in entries and bytes, forgotten per call or organization."""

from __future__ import annotations

from gateway.adapters.call_views import CachedView, CallViewCache, Part


def _view(size: int = 10) -> CachedView:
    return CachedView(b"{}", Part('"t"', {}), Part('"s"', {}), b"x" * size, '"e"')


def test_least_recently_used_views_go_first_past_the_entry_bound() -> None:
    cache = CallViewCache(max_entries=2, max_bytes=10_000)
    cache.put("o", "a", _view())
    cache.put("o", "b", _view())
    assert cache.get("o", "a") is not None  # a is now the most recent
    cache.put("o", "c", _view())
    assert cache.get("o", "b") is None
    assert cache.get("o", "a") is not None and cache.get("o", "c") is not None


def test_the_byte_bound_holds_and_a_view_too_large_is_not_kept() -> None:
    cache = CallViewCache(max_entries=100, max_bytes=_view(100).size * 2)
    for call in "abc":
        cache.put("o", call, _view(100))
    assert len(cache) == 2
    cache.put("o", "huge", _view(10_000))
    assert cache.get("o", "huge") is None


def test_forget_a_call_or_every_call_of_an_organization() -> None:
    cache = CallViewCache(max_entries=100, max_bytes=10_000)
    for org, call in (("o1", "a"), ("o1", "b"), ("o2", "a")):
        cache.put(org, call, _view())
    cache.forget("o1", "a")
    assert cache.get("o1", "a") is None and cache.get("o1", "b") is not None
    cache.forget("o1")
    assert cache.get("o1", "b") is None
    assert cache.get("o2", "a") is not None, "another organization's views stay"
