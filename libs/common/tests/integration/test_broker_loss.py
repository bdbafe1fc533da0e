"""A broker that comes back without its log halts the consumer instead of letting it spin."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from clashtor_common.broker_watch import LogWatch
from clashtor_common.embedded import TansuBroker, ensure_topics, free_port
from clashtor_common.outbox import emit

from .support import Harness, count_effects, sample_event, settings_for, wait_until


@pytest.fixture
async def own_broker(tmp_path):
    """A memory-only broker of this test's own, so it can lose everything."""
    broker = TansuBroker(port=free_port(), log_path=tmp_path / "tansu.log").start()
    yield broker
    broker.stop()


async def test_topics_gone_after_a_broker_restart_halt_consuming_and_publishing(
    own_broker: TansuBroker, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    topic = f"test-loss-{uuid.uuid4().hex[:8]}"
    await ensure_topics(own_broker.bootstrap, (topic,), partitions=1)
    # Kafka's client default group timing, not the tests' fast one: a member that rejoins
    # within a second or two of the empty broker's return is reset to offset 0 of the new
    # log before the watch has seen it beyond the end twice (reported, not changed here).
    kafka_defaults = {
        "consumer_session_timeout_ms": 10_000,
        "consumer_heartbeat_interval_ms": 3_000,
    }
    h = Harness(
        settings_for(
            f"loss-{uuid.uuid4().hex[:6]}", own_broker.bootstrap, database_url, **kafka_defaults
        ),
        topic,
    )
    await h.start()
    halted: list[str] = []
    watch = LogWatch(
        h.broker,
        h.settings.kafka_client_kwargs(),
        service=h.settings.service_name,
        topics=(topic,),
        every_seconds=0.5,
        on_halt=lambda reason: halted.append(reason) or setattr(h.relay, "halted", reason),
    )
    task = asyncio.create_task(watch.run())
    try:
        event = sample_event()
        async with h.db.session() as s:
            await emit(s, event, topic=topic)
        await wait_until(lambda: count_effects(h.db, str(event.id)), timeout=60)
        await asyncio.sleep(1.5)
        assert watch.halted is None, "a healthy broker is not mistaken for a lost one"

        # The memory broker restarts empty on the same port: no topics, no offsets.
        own_broker.kill()
        own_broker.start()
        caplog.set_level(logging.ERROR, logger="clashtor_common.broker_watch")
        await wait_until(lambda: watch.halted is not None, timeout=60)

        # Tansu recreates a topic on the first metadata request for it, so what the
        # watch sees is either the topic gone or the consumer beyond the new log's end.
        assert "the broker lost" in (watch.halted or "")
        assert halted == [watch.halted] and h.relay.halted == watch.halted

        def said() -> list[str]:
            return [r.getMessage() for r in caplog.records if "stopped consuming" in r.getMessage()]

        await wait_until(said, timeout=30)
        await asyncio.sleep(2)  # four more checks' worth of time
        messages = said()
        assert len(messages) == 1, "said once (then once a minute), not once per check"
        assert "clashtor-ops outbox resend" in messages[0]
        # Publishing waits: a new event stays in the outbox rather than going into the void.
        later = sample_event()
        async with h.db.session() as s:
            await emit(s, later, topic=topic)
        await asyncio.sleep(1.5)
        assert h.relay.published == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await h.stop()
