"""Transient failures wait as long as it takes; poison goes to the dead-letter topic at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner
from botocore.exceptions import EndpointConnectionError

from clashtor_common.bus import PermanentError
from clashtor_common.events import Envelope
from clashtor_common.outbox import emit

from .support import Harness, count_effects, sample_event, started_harness, wait_until


@pytest.fixture(scope="module")
async def harness(kafka_bootstrap: str, database_url: str):
    h = await started_harness(
        "failures", kafka_bootstrap, database_url, partitions=2, consumer_transient_backoff_max=0.2
    )
    yield h
    await h.stop()


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("All connection attempts failed"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1/bucket/key"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=["httpx", "botocore", "socket"],
)
async def test_a_transient_failure_is_retried_past_max_attempts_and_never_dead_lettered(
    harness: Harness, failure: BaseException
) -> None:
    dead_before = harness.consumer.stats.dead_lettered
    times = harness.settings.consumer_max_attempts * 4
    harness.failure, harness.fail_times = failure, times
    event = sample_event()
    async with harness.db.session() as s:
        await emit(s, event, topic=harness.topic)

    # While it waits, the consumer says so (the service's /readyz reports it degraded).
    await wait_until(lambda: harness.consumer.stats.waiting_since is not None)
    await wait_until(lambda: count_effects(harness.db, str(event.id)), timeout=60)

    assert await count_effects(harness.db, str(event.id)) == 1
    assert harness.fail_times == 0, "every failure was retried"
    assert harness.consumer.stats.dead_lettered == dead_before
    assert harness.consumer.stats.waiting_since is None


async def test_a_permanent_error_is_dead_lettered_at_the_first_attempt(harness: Harness) -> None:
    dead_before = harness.consumer.stats.dead_lettered
    # Fails in the batch's transaction, then alone: it is not tried a third time.
    harness.failure, harness.fail_times = PermanentError("the recording is not audio"), 3
    harness.calls = 0
    event = sample_event()
    async with harness.db.session() as s:
        await emit(s, event, topic=harness.topic)
    await wait_until(lambda: harness.consumer.stats.dead_lettered > dead_before)
    assert harness.calls == 2
    assert harness.fail_times == 1, "no retry after the permanent error"
    harness.fail_times = 0
    assert await count_effects(harness.db, str(event.id)) == 0


def _event_in_partition(partition: int) -> Envelope:
    """A sample event whose key the default partitioner puts in ``partition`` of 2."""
    while True:
        event = sample_event()
        if DefaultPartitioner()(event.key.encode(), [0, 1], [0, 1]) == partition:
            return event


async def test_a_waiting_event_pauses_only_its_partition(harness: Harness) -> None:
    stuck, free = _event_in_partition(0), _event_in_partition(1)
    after_stuck = _event_in_partition(0)
    harness.failure = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/bucket/key")
    harness.fail_ids = {str(stuck.id)}
    async with harness.db.session() as s:
        await emit(s, stuck, topic=harness.topic)
        await emit(s, after_stuck, topic=harness.topic)
        await emit(s, free, topic=harness.topic)

    # The other partition goes on; the waiting one keeps its order: nothing after it.
    await wait_until(lambda: count_effects(harness.db, str(free.id)), timeout=60)
    await asyncio.sleep(1)
    assert harness.consumer.stats.waiting_since is not None
    assert await count_effects(harness.db, str(stuck.id)) == 0
    assert await count_effects(harness.db, str(after_stuck.id)) == 0

    harness.fail_ids = set()  # S3 is back
    await wait_until(lambda: count_effects(harness.db, str(after_stuck.id)), timeout=60)
    assert await count_effects(harness.db, str(stuck.id)) == 1
    assert harness.consumer.stats.waiting_since is None
