"""Outbox → relay → consumer (inbox) throughput and latency vs raw aiokafka on the same broker.

The pipeline: requests emit events in transactions of 50 (``emit``), the relay publishes
committed rows in batches and marks them sent in one UPDATE, the consumer handles a
fetched batch in one transaction with one inbox read and one multi-row inbox INSERT and
commits offsets after it. The baseline: aiokafka producing and consuming the same number
of messages of the same size on the same topic layout, in the same process. Rounds
alternate (raw, then each database with one emitter and with N, raw, …) and each figure
is a ratio against its own round's baseline; latency is from the event's creation to
its handler (p50/p99).

Each database is measured twice:

- *one emitter*: a single loop commits the 50-event transactions one after the other.
  Its throughput is capped by one commit's wall time (on a loaded machine tens of ms on
  PostgreSQL), whatever the relay and consumer do: it measures commit latency as much
  as the pipeline;
- *N concurrent emitters* (``BENCH_OUTBOX_EMITTERS``, default 8): N tasks share the
  same transactions, as concurrent requests of a service would, so commits overlap
  (PostgreSQL) or queue for the process's SQLite turn; this is the pipeline's capacity.

Both consumers hold an idle fetch as long as the services' do (``consumer_fetch_max_wait_ms``,
500 ms). Tansu answers a held fetch only when its wait is over, not when a record arrives,
so raw's short window (0.1–0.3 s) comes out near 15,000 or near 47,000 events/s depending
on whether one of its fetches was held: read the ratios over several rounds.

Each side runs as a started service process does: once its consumer, producer (and relay)
are set up, the process's heap is frozen (``clashtor_common.heap.startup_heap_frozen``,
as the service lifespan does) for the measured window, raw baseline included. Unfrozen,
a full collection of the bench process's ~130,000 start-up objects held its event loop
100–212 ms in each 1–1.3 s window (frozen: 14–42 ms of collections in all). The time the
collector takes in the window is reported beside each figure.

``BENCH_OUTBOX_EVENTS`` (default 5000), ``BENCH_OUTBOX_ROUNDS`` (default 2) and
``BENCH_OUTBOX_EMITTERS`` (default 8; 1 measures only the single emitter).
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from bench.gcpauses import GcPauses, gc_pauses
from bench.report import Result
from clashtor_common.bus import make_broker, start_broker, subscribe
from clashtor_common.db import Database
from clashtor_common.embedded import TansuBroker, ensure_topics
from clashtor_common.events import CallFailed, Envelope, make_event
from clashtor_common.heap import startup_heap_frozen
from clashtor_common.inbox import InboxRecord
from clashtor_common.outbox import OutboxRecord, OutboxRelay, emit
from clashtor_common.settings import ServiceSettings

N = int(os.environ.get("BENCH_OUTBOX_EVENTS", "5000"))
ROUNDS = int(os.environ.get("BENCH_OUTBOX_ROUNDS", "2"))
EMITTERS = int(os.environ.get("BENCH_OUTBOX_EMITTERS", "8"))
#: Events per emitting transaction.
PER_TRANSACTION = 50


def _cpu_seconds() -> float:
    """CPU time of this process, its threads (aiosqlite's) included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(int(q * len(values)), len(values) - 1)]


class Measured(NamedTuple):
    """One side's window: throughput, latencies, CPU per event, the collector's time."""

    throughput: float
    latencies: list[float]
    cpu_per_event: float
    gc: GcPauses


async def send_all(producer: AIOKafkaProducer, topic: str) -> None:
    """Raw aiokafka's side: ``N`` messages the size of an event, stamped with their send
    time, keyed over 50 keys as the events are; flushed."""
    for i in range(N):
        value = f"{time.perf_counter()}|{i}".encode() + b"x" * 400
        await producer.send(topic, value, key=str(i % 50).encode())
    await producer.flush()


async def raw_aiokafka(bootstrap: str, topic: str) -> Measured:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=ServiceSettings().consumer_fetch_max_wait_ms,  # as the services'
    )
    await consumer.start()
    await asyncio.sleep(6)  # group join
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    latencies: list[float] = []

    async def produce() -> None:
        await send_all(producer, topic)

    with startup_heap_frozen(), gc_pauses() as pauses:
        start = time.perf_counter()
        cpu = _cpu_seconds()
        prod = asyncio.create_task(produce())
        received = 0
        async for msg in consumer:
            latencies.append(time.perf_counter() - float(msg.value.split(b"|")[0]))
            received += 1
            if received >= N:
                break
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
    await prod
    await producer.stop()
    await consumer.stop()
    return Measured(N / elapsed, latencies, cpu / N, pauses)


async def _emit_transactions(db: Database, topic: str, firsts: range) -> None:
    """One emitter: a transaction of ``PER_TRANSACTION`` events from each of ``firsts``,
    one after the other (a request emitting in a small transaction)."""
    for i in firsts:
        async with db.session() as session:
            for j in range(i, min(i + PER_TRANSACTION, N)):
                call = f"call-{j % 50}"
                payload = CallFailed(call_id=call, stage="score", code="bench", reason="x" * 300)
                await emit(
                    session,
                    make_event(payload, source="bench", org_id="o", key=call, trace={}),
                    topic=topic,
                )


async def two_services(
    bootstrap: str, db_url: str, consumer_db_url: str
) -> tuple[ServiceSettings, Database, Database]:
    """The producing service's settings and database, and the consuming service's database,
    their outbox and inbox tables created."""
    settings = ServiceSettings(
        service_name=f"bench-{uuid.uuid4().hex[:6]}",
        environment="test",
        kafka_bootstrap=bootstrap,
        database_url=db_url,
    )
    db = Database(db_url)
    await db.create_all(OutboxRecord, InboxRecord)
    consumer_db = Database(consumer_db_url)
    await consumer_db.create_all(OutboxRecord, InboxRecord)
    return settings, db, consumer_db


async def clashtor_outbox(
    bootstrap: str, topic: str, db_url: str, consumer_db_url: str, emitters: int = 1
) -> Measured:
    """A producing service (its own database) and a consuming service (its own);
    ``emitters`` tasks commit the events' transactions concurrently."""
    settings, db, consumer_db = await two_services(bootstrap, db_url, consumer_db_url)
    broker = make_broker(settings)
    relay = OutboxRelay(db, settings.kafka_client_kwargs(), poll_seconds=0.05)
    latencies: list[float] = []
    done = asyncio.Event()

    async def handler(event: Envelope, session: AsyncSession) -> None:
        latencies.append(time.time() - event.time.timestamp())
        if len(latencies) >= N:
            done.set()

    subscribe(broker, topic, settings=settings, db=consumer_db, handler=handler)
    await start_broker(broker)
    await asyncio.sleep(6)  # group join, as for the baseline
    await relay.start()
    step = PER_TRANSACTION * emitters
    with startup_heap_frozen(), gc_pauses() as pauses:
        start = time.perf_counter()
        cpu = _cpu_seconds()
        await asyncio.gather(
            *(
                _emit_transactions(db, topic, range(k * PER_TRANSACTION, N, step))
                for k in range(emitters)
            )
        )
        await asyncio.wait_for(done.wait(), timeout=600)
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
    await relay.stop()
    await broker.stop()
    await db.dispose()
    await consumer_db.dispose()
    return Measured(N / elapsed, latencies, cpu / N, pauses)


@asynccontextmanager
async def bench_scratch() -> AsyncIterator[tuple[TansuBroker, str, list[Callable[[], None]]]]:
    """A broker, a scratch folder, and the cleanups (PostgreSQL drops) run after both."""
    broker = TansuBroker().start()
    cleanups: list[Callable[[], None]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            yield broker, tmp, cleanups
    finally:
        for cleanup in cleanups:  # each runs its own event loop
            await asyncio.to_thread(cleanup)
        broker.stop()


async def service_databases(
    tmp: str, name: str, cleanups: list[Callable[[], None]]
) -> dict[str, tuple[str, str]]:
    """``{label: (producer URL, consumer URL)}``: a SQLite file per service, and a
    PostgreSQL database per service when PostgreSQL answers (its drops go to ``cleanups``)."""
    from clashtor_common.testing.plugin import create_database, postgres_available

    engines = {
        "SQLite file per service (the make up default)": (
            f"sqlite+aiosqlite:///{tmp}/producer{name}.db",
            f"sqlite+aiosqlite:///{tmp}/consumer{name}.db",
        )
    }
    if postgres_available():
        made = [
            await asyncio.to_thread(create_database, Path(tmp), f"bench_{side}{name}")
            for side in ("producer", "consumer")
        ]
        (producer, drop_producer), (consumer, drop_consumer) = made
        cleanups += [drop_producer, drop_consumer]
        engines["PostgreSQL database per service"] = (producer, consumer)
    return engines


async def run() -> list[Result]:
    """Alternating rounds on one broker: the raw baseline, then the outbox pipeline on
    SQLite and (when it answers) PostgreSQL, each service with its own database; each
    pipeline figure is a ratio against the raw baseline of its own round."""
    results: list[Result] = []
    async with bench_scratch() as (broker, tmp, cleanups):
        for round_no in range(1, ROUNDS + 1):
            raw_topic = f"bench-raw-{uuid.uuid4().hex[:6]}"
            await ensure_topics(broker.bootstrap, (raw_topic,), partitions=3)
            raw = await raw_aiokafka(broker.bootstrap, raw_topic)
            for emitters in sorted({1, EMITTERS}):
                run_name = f"{round_no}_{emitters}"
                engines = await service_databases(tmp, f"outbox{run_name}", cleanups)
                for label, (producer_url, consumer_url) in engines.items():
                    topic = f"bench-ct-{uuid.uuid4().hex[:6]}"
                    await ensure_topics(broker.bootstrap, (topic,), partitions=3)
                    measured = await clashtor_outbox(
                        broker.bootstrap, topic, producer_url, consumer_url, emitters
                    )
                    results.append(_result(label, measured, raw, round_no, emitters))
    return results


def _ms(latencies: list[float]) -> str:
    return f"{statistics.median(latencies) * 1000:.1f} / {_pct(latencies, 0.99) * 1000:.1f}"


def _result(
    databases: str,
    measured: Measured,
    raw: Measured,
    round_no: int,
    emitters: int,
) -> Result:
    (tput, lat, cpu, pauses), (raw_tput, raw_lat, raw_cpu, raw_pauses) = measured, raw
    return Result(
        "outbox→relay→consumer"
        + (", one emitter" if emitters == 1 else f", {emitters} concurrent emitters"),
        "throughput",
        tput,
        "raw aiokafka produce→consume",
        raw_tput,
        "events/s",
        target="≥ 0.5",
        extra={
            "events": N,
            "clashtor latency p50/p99 (ms)": _ms(lat),
            "raw latency p50/p99 (ms)": _ms(raw_lat),
            # Less sensitive to the machine's load than throughput; the broker's and
            # PostgreSQL's own CPU is not counted on either side.
            "CPU per event, this process (µs)": f"{cpu * 1e6:.0f} vs raw {raw_cpu * 1e6:.0f}",
            "garbage collection in the window": f"{pauses} vs raw {raw_pauses}",
            "databases": databases,
            "round": f"{round_no} of {ROUNDS}",
        },
    )
