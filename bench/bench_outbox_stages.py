"""Each stage of the outbox pipeline alone: CPU per event beside raw aiokafka's produce and consume.

``bench_outbox`` runs emit, relay and consumer together on one event loop, where they
share one core: its throughput is capped by the CPU the three spend per event. This
bench measures that cost stage by stage, each alone and in its steady state, so the cap
can be read off rather than guessed:

- *emit*: transactions of 50 events into the producing service's outbox (``emit``), as
  ``bench_outbox``'s one emitter; against raw aiokafka's ``send`` of as many messages of
  the same size, flushed;
- *relay*: ``OutboxRelay.publish_pending`` called until nothing is left (rounds of 500,
  the default); against the same raw ``send``;
- *consumer*: the consuming service's subscriber (inbox, one transaction per batch) on
  the relayed topic, from its first event to its ``N``-th, its handler empty; against raw
  aiokafka's consumer reading the raw topic from its first message to its last.

The last row adds the three up: one core at that CPU per event passes at most
``1e6 / µs`` events a second, which is set beside raw's produce→consume throughput in the
same round (measured as ``bench_outbox`` does): the best ratio this pipeline could reach
in one process whatever overlaps, before any waiting. The broker's and PostgreSQL's own
CPU count on neither side. ``BENCH_OUTBOX_EVENTS`` (default 5000) and
``BENCH_OUTBOX_ROUNDS`` (default 2) as for ``bench_outbox``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from bench.bench_outbox import (
    PER_TRANSACTION,
    ROUNDS,
    N,
    _cpu_seconds,
    _emit_transactions,
    bench_scratch,
    send_all,
    service_databases,
    two_services,
)
from bench.bench_outbox import raw_aiokafka as raw_produce_consume
from bench.report import Result
from clashtor_common.bus import make_broker, start_broker, subscribe
from clashtor_common.embedded import ensure_topics
from clashtor_common.events import Envelope
from clashtor_common.heap import startup_heap_frozen
from clashtor_common.outbox import OutboxRelay
from clashtor_common.settings import ServiceSettings


class Stages(NamedTuple):
    """CPU per event (µs) of each stage alone."""

    emit: float
    relay: float
    consume: float


class RawStages(NamedTuple):
    produce: float
    consume: float


async def _timed_cpu(work: Awaitable[None]) -> float:
    """CPU (µs) per event of awaiting ``work``, the heap frozen as in a started service."""
    with startup_heap_frozen():
        cpu = _cpu_seconds()
        await work
        return (_cpu_seconds() - cpu) / N * 1e6


async def _first_to_last(count_to: asyncio.Event, marks: dict[str, float]) -> float:
    await asyncio.wait_for(count_to.wait(), timeout=600)
    return (marks["last"] - marks["first"]) / (N - 1) * 1e6


def _marker(marks: dict[str, float], done: asyncio.Event) -> Callable[[], None]:
    """Counts events; notes the process's CPU at the first and the last."""
    seen = [0]

    def mark() -> None:
        seen[0] += 1
        if seen[0] == 1:
            marks["first"] = _cpu_seconds()
        if seen[0] == N:
            marks["last"] = _cpu_seconds()
            done.set()

    return mark


async def pipeline_stages(bootstrap: str, db_url: str, consumer_db_url: str) -> Stages:
    topic = f"bench-st-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, (topic,), partitions=3)
    settings, db, consumer_db = await two_services(bootstrap, db_url, consumer_db_url)
    relay = OutboxRelay(db, settings.kafka_client_kwargs())
    try:
        # set-up: the connections, the relay's producer and the topic's metadata
        await _emit_transactions(db, topic, range(0, PER_TRANSACTION, PER_TRANSACTION))
        await relay.publish_pending()
        emit = await _timed_cpu(_emit_transactions(db, topic, range(0, N, PER_TRANSACTION)))

        async def publish_all() -> None:
            while await relay.publish_pending():
                pass

        relay_cpu = await _timed_cpu(publish_all())
    finally:
        await relay.stop()
        await db.dispose()

    marks: dict[str, float] = {}
    done = asyncio.Event()
    mark = _marker(marks, done)

    async def handler(event: Envelope, session: AsyncSession) -> None:
        mark()

    broker = make_broker(settings)
    subscribe(broker, topic, settings=settings, db=consumer_db, handler=handler)
    try:
        with startup_heap_frozen():
            await start_broker(broker)
            consume = await _first_to_last(done, marks)
    finally:
        await broker.stop()
        await consumer_db.dispose()
    return Stages(emit, relay_cpu, consume)


async def raw_stages(bootstrap: str) -> RawStages:
    topic = f"bench-rs-{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, (topic,), partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()

    try:
        produce_cpu = await _timed_cpu(send_all(producer, topic))
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=ServiceSettings().consumer_fetch_max_wait_ms,
    )
    marks: dict[str, float] = {}
    done = asyncio.Event()
    mark = _marker(marks, done)
    await consumer.start()
    try:
        with startup_heap_frozen():
            async for _ in consumer:
                mark()
                if done.is_set():
                    break
            consume_cpu = await _first_to_last(done, marks)
    finally:
        await consumer.stop()
    return RawStages(produce_cpu, consume_cpu)


async def run() -> list[Result]:
    """Alternating rounds on one broker: raw's stages and its produce→consume throughput,
    then the pipeline's stages on SQLite and (when it answers) PostgreSQL."""
    results: list[Result] = []
    async with bench_scratch() as (broker, tmp, cleanups):
        for round_no in range(1, ROUNDS + 1):
            raw = await raw_stages(broker.bootstrap)
            raw_topic = f"bench-raw-{uuid.uuid4().hex[:6]}"
            await ensure_topics(broker.bootstrap, (raw_topic,), partitions=3)
            raw_throughput = (await raw_produce_consume(broker.bootstrap, raw_topic)).throughput
            engines = await service_databases(tmp, f"stages{round_no}", cleanups)
            for label, (producer_url, consumer_url) in engines.items():
                stages = await pipeline_stages(broker.bootstrap, producer_url, consumer_url)
                results += _results(label, stages, raw, raw_throughput, round_no)
    return results


def _results(
    databases: str, stages: Stages, raw: RawStages, raw_throughput: float, round_no: int
) -> list[Result]:
    extra: dict[str, float | str] = {"events": N, "round": f"{round_no} of {ROUNDS}"}

    def row(stage: str, value: float, baseline_name: str, baseline: float) -> Result:
        return Result(
            f"{stage}, {databases}",
            "CPU per event",
            value,
            baseline_name,
            baseline,
            "µs",
            higher_is_better=False,
            extra=extra,
        )

    total = sum(stages)
    cap = 1e6 / total
    return [
        row("emit alone", stages.emit, "raw aiokafka send", raw.produce),
        row("relay alone", stages.relay, "raw aiokafka send", raw.produce),
        row("consumer alone", stages.consume, "raw aiokafka consume", raw.consume),
        Result(
            f"one core at emit+relay+consumer, {databases}",
            "events/s at most",
            cap,
            "raw aiokafka produce→consume",
            raw_throughput,
            "events/s",
            target="≥ 0.5 (bench_outbox's)",
            extra={**extra, "emit+relay+consumer (µs per event)": f"{total:.0f}"},
        ),
    ]
