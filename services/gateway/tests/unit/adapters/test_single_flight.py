"""SingleFlight: callers of a key that arrive while its fetch is under way share it."""

from __future__ import annotations

import asyncio

import pytest

from gateway.adapters.single_flight import SingleFlight


class Source:
    """A fetch that waits until the test lets it answer, counting how often it ran."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.fail: Exception | None = None

    async def fetch(self) -> int:
        self.runs += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return self.runs


async def _settle() -> None:
    """Let every task started so far run up to its first wait."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_callers_during_a_fetch_share_it_and_the_next_one_fetches_anew() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    source = Source()
    callers = [asyncio.create_task(flights.run("k", source.fetch)) for _ in range(20)]
    await _settle()
    source.release.set()
    assert await asyncio.gather(*callers) == [1] * 20
    assert source.runs == 1 and len(flights) == 0, "nothing kept once it finished"
    assert await flights.run("k", source.fetch) == 2


async def test_other_keys_fetch_on_their_own() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    source = Source()
    callers = [asyncio.create_task(flights.run(k, source.fetch)) for k in ("a", "b", "a")]
    await _settle()
    source.release.set()
    await asyncio.gather(*callers)
    assert source.runs == 2


async def test_an_error_reaches_every_caller_and_is_not_kept() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    source = Source()
    source.fail = LookupError("down")
    callers = [asyncio.create_task(flights.run("k", source.fetch)) for _ in range(3)]
    await _settle()
    source.release.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(o, LookupError) for o in outcomes)
    source.fail = None
    assert await flights.run("k", source.fetch) == 2


async def test_a_caller_that_goes_away_does_not_cancel_the_fetch_for_the_others() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    source = Source()
    first = asyncio.create_task(flights.run("k", source.fetch))
    await _settle()
    second = asyncio.create_task(flights.run("k", source.fetch))
    await _settle()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    source.release.set()
    assert await second == 1 and source.runs == 1


async def test_callers_after_the_fetch_closes_to_joiners_fetch_anew() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    answered, release = asyncio.Event(), asyncio.Event()
    runs = 0

    async def fetch() -> int:
        nonlocal runs
        runs += 1
        mine = runs
        flights.close_to_joiners("k")  # e.g. its source has answered
        answered.set()
        await release.wait()
        return mine

    first = asyncio.create_task(flights.run("k", fetch))
    await answered.wait()
    later = asyncio.create_task(flights.run("k", fetch))
    await _settle()
    release.set()
    assert (await first, await later) == (1, 2), "the later caller fetched on its own"
    assert len(flights) == 0
