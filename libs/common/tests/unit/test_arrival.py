"""arriving_in_time: a body passes through untouched while it keeps arriving; a stall
is cut off by the idle limit or the total one, whichever comes first, saying which."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from clashtor_common.arrival import ArrivedTooSlowly, arriving_in_time


async def _stalls_after(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
    await asyncio.Event().wait()  # never set: a client that stopped sending
    yield b"never"


async def _collect(body: AsyncIterator[bytes], into: list[bytes]) -> None:
    async for chunk in body:
        into.append(chunk)


async def _complete() -> AsyncIterator[bytes]:
    for chunk in (b"a", b"b", b"c"):
        yield chunk


async def test_a_body_that_keeps_arriving_passes_through() -> None:
    got: list[bytes] = []
    await _collect(arriving_in_time(_complete(), total_seconds=60, idle_seconds=30), got)
    assert got == [b"a", b"b", b"c"]


async def test_a_stall_past_the_idle_limit_is_cut_off() -> None:
    got: list[bytes] = []
    body = arriving_in_time(_stalls_after(b"head"), total_seconds=600, idle_seconds=0.2)
    with pytest.raises(ArrivedTooSlowly, match=r"nothing of the upload arrived for 0\.2 s"):
        await _collect(body, got)
    assert got == [b"head"]


async def test_the_total_limit_holds_without_an_idle_one() -> None:
    got: list[bytes] = []
    body = arriving_in_time(_stalls_after(b"head"), total_seconds=0.2)
    with pytest.raises(ArrivedTooSlowly, match=r"took longer than 0\.2 s"):
        await _collect(body, got)
    assert got == [b"head"]
