"""``running``: the start/stop pair of the stand-in fixtures, kept even when the block fails."""

from __future__ import annotations

import pytest

from clashtor_common.testing.servers import running


class Recorder:
    def __init__(self, *, fail_start: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_start = fail_start

    def start(self) -> int:
        self.calls.append("start")
        if self.fail_start:  # as LocalStripe: its process launched, its port never open
            raise RuntimeError("did not start")
        return 1234  # a port, as some stand-ins answer: running yields the server, not this

    def stop(self) -> None:
        self.calls.append("stop")


def test_the_server_runs_for_the_block_and_is_stopped_after() -> None:
    server = Recorder()
    with running(server) as held:
        assert held is server
        assert server.calls == ["start"]
    assert server.calls == ["start", "stop"]


def test_a_failing_block_still_stops_the_server() -> None:
    server = Recorder()
    with pytest.raises(RuntimeError), running(server):
        raise RuntimeError("the test failed")
    assert server.calls == ["start", "stop"]


def test_a_start_that_fails_halfway_is_stopped() -> None:
    server = Recorder(fail_start=True)
    with pytest.raises(RuntimeError, match="did not start"), running(server):
        pytest.fail("the block must not run")
    assert server.calls == ["start", "stop"]
