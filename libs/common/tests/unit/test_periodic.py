"""The periodic helper: a failing run does not end the loop; wake() runs the job early."""

from __future__ import annotations

import asyncio

from clashtor_common.periodic import Periodic


async def test_a_failed_run_is_remembered_and_the_loop_goes_on_when_woken() -> None:
    runs: list[int] = []
    second_run = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("database down")
        second_run.set()

    loop = Periodic("test-loop", 3600, job)  # the interval alone would never run it again
    await loop.start()
    try:
        while loop.runs < 1:
            await asyncio.sleep(0)
        assert loop.last_error == "RuntimeError('database down')"
        loop.wake()
        await asyncio.wait_for(second_run.wait(), timeout=30)
        assert runs == [0, 1]
    finally:
        await loop.stop()
    assert not loop.running


async def test_an_interval_of_zero_never_starts() -> None:
    async def job() -> None:
        raise AssertionError("must not run")

    loop = Periodic("off", 0, job)
    await loop.start()
    assert not loop.running
