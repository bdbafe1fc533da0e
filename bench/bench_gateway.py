"""Gateway GET /v1/calls/{id} (API key, aggregation) vs the same three reads sent to the services.

The whole system runs as in the end-to-end tests (``tests.e2e.stack.Stack``: six
service processes, Tansu, SeaweedFS, a database per service). One organization signs
up, uploads one generated call (``short_script()``, stereo WAV) and waits until it is
``scored``. Then the same read is timed two ways, under the same bounded load
(``BENCH_GATEWAY_CONCURRENCY`` workers sharing one ``aiohttp.ClientSession``, at most
``BENCH_GATEWAY_REQUESTS`` reads per side and ``BENCH_GATEWAY_SECONDS`` per round):

- **gateway**: ``GET /v1/calls/{id}`` with ``Authorization: Bearer <API key>``: the
  gateway finds the key (cached for ``GATEWAY_API_KEY_CACHE_SECONDS``), asks ingest for
  the call as the caller (ownership), then transcribe and score at once with the ETags
  of the parts it holds (``If-None-Match``: 304 while unchanged), answers the view it
  built before unless a part changed (else assembles, validates and caches it anew), and
  queues a usage row (written in batches, not per read);
- **direct** (baseline): what the gateway fetches, fetched the way it does: ingest
  ``GET /internal/calls/{id}``, then transcribe ``GET /internal/transcripts/{id}`` and
  score ``GET /internal/scores/{id}`` concurrently, with an identity signed per read
  (``identity_headers``) as the gateway's own.

The sides alternate (direct, gateway, direct, gateway…; ``BENCH_GATEWAY_ROUNDS``) after
a warm-up of each, so drift on the shared machine hits both. Reported: throughput
ratio (gateway / direct, reads per second) and p99 latency ratio (gateway / direct)
under load, the median latency with a single reader (``BENCH_GATEWAY_UNLOADED`` reads
per side: the cost of a read without queueing), and the CPU time spent per read on
either side by each service process, its PostgreSQL backends and the load generator
(the machine is CPU-bound under this load, so throughput follows total CPU per read,
and the direct side's load generator, making three requests per read, costs more than
the gateway side's: the server CPU per read, load generator left out, is reported as
its own ratio). Loopback only; the load generator shares the two CPUs
with the services. Its clients keep up to ``4 × BENCH_GATEWAY_CONCURRENCY`` idle
connections (at 200 workers, 64 made both sides open and close connections all the
time, a cost of the load generator's pool, not of either side's reads). The timed reads
go through ``aiohttp`` (the sign-up, upload and wait for scoring through httpx): at 200
workers httpx's pool (httpcore) looks at every connection to hand out and take back
each one, and py-spy found the load generator near a whole core, five sixths of it in
that pool (8 ms of CPU per gateway read, the gateway's own 2): the readers queued in the
load generator, and the latencies measured its CPU. The issue's target is measured
with ``BENCH_GATEWAY_CONCURRENCY=200``.

The gateway runs as ``BENCH_GATEWAY_WORKERS`` processes (``GATEWAY_WORKERS``; 2, or 1 on
SQLite) on its one port, as production runs at least two replicas: one Python process is one core at
most, ~0.8 ms of CPU per read (py-spy: framework, OpenTelemetry and middleware layers,
not the read itself; 1.2–1.5 ms before the start-up heap was frozen, ``clashtor_common.heap``),
so 200 readers queue ≥ 200 × 0.8 ms behind it. The CPU of every
gateway process is counted. The services the direct side reads run one process each, as
before.

    .venv/bin/python -m bench gateway
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import aiohttp
import httpx
import psutil

from bench.report import Result
from bench.system import (
    Account,
    Stack,
    keep_logs,
    percentile,
    running_stack,
    sign_up,
    upload,
)
from clashtor_callgen import generate_call, short_script
from clashtor_common.settings import DEV_IDENTITY_SECRET
from clashtor_common.testing.apps import identity_headers
from clashtor_common.testing.plugin import postgres_available

REQUESTS = int(os.environ.get("BENCH_GATEWAY_REQUESTS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_GATEWAY_CONCURRENCY", "16"))
ROUND_SECONDS = float(os.environ.get("BENCH_GATEWAY_SECONDS", "60"))
ROUNDS = int(os.environ.get("BENCH_GATEWAY_ROUNDS", "6"))
WARMUP = 100
UNLOADED = int(os.environ.get("BENCH_GATEWAY_UNLOADED", "200"))
WORKERS = os.environ.get("BENCH_GATEWAY_WORKERS")
"""Gateway processes serving its port (``GATEWAY_WORKERS``): replicas, as in production;
2 unless set, or 1 on SQLite (whose stack cannot run more)."""
SERVICES = ("gateway", "ingest", "transcribe", "score")
LOAD_GENERATOR = "load generator"
SCORED_TIMEOUT = 300.0

Read = Callable[[], Awaitable[str | None]]
"""One read: None when it succeeded, else what went wrong (e.g. ``"score 502"``)."""


@dataclass
class Load:
    """One side's reads over every round: latencies of each and the time under load."""

    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return (len(self.latencies) - self.errors) / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    def summary(self) -> str:
        ms = [v * 1000 for v in self.latencies]
        return (
            f"{len(ms)} reads ({self.errors} failed{self.failure_kinds()}) in {self.seconds:.1f} s; "
            f"p50 {statistics.median(ms):.1f} / p90 {percentile(ms, 0.90):.1f} / "
            f"p99 {percentile(ms, 0.99):.1f} / max {max(ms):.1f} ms"
        )

    def failure_kinds(self) -> str:
        return (
            (": " + ", ".join(f"{n}× {k}" for k, n in self.failures.items()))
            if self.failures
            else ""
        )

    def server_cpu_ms_per_read(self) -> float:
        """CPU every server process (services and databases) spent per read."""
        spent = sum(v for k, v in self.cpu_seconds.items() if k != LOAD_GENERATOR)
        return spent * 1000 / (len(self.latencies) or 1)

    def cpu_per_read(self) -> str:
        """CPU milliseconds each service process spent per read (user + system)."""
        reads = len(self.latencies) or 1
        return ", ".join(f"{n} {s * 1000 / reads:.1f}" for n, s in self.cpu_seconds.items())


Processes = Callable[[], dict[str, list[psutil.Process]]]


def cpu_seconds(procs: dict[str, list[psutil.Process]]) -> dict[tuple[str, int], float]:
    """User + system CPU seconds so far, per (label, pid); exited processes left out."""
    out: dict[tuple[str, int], float] = {}
    for label, group in procs.items():
        for proc in group:
            try:
                t = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[label, proc.pid] = t.user + t.system
    return out


def stack_processes(stack: Stack) -> dict[str, list[psutil.Process]]:
    """The service processes, their PostgreSQL backends (when on PostgreSQL), and this one."""
    procs: dict[str, list[psutil.Process]] = {}
    for name in SERVICES:  # a service served by several workers: the first and its forks
        first = psutil.Process(stack.procs[name].pid)
        procs[name] = [first, *first.children(recursive=True)]
    databases = {
        url.rsplit("/", 1)[-1]: name
        for name, url in stack.database_urls.items()
        if name in SERVICES and url.startswith("postgresql")
    }
    for proc in psutil.process_iter(["cmdline"]):
        title = " ".join(proc.info["cmdline"] or ())
        if title.startswith("postgres:"):
            for database, name in databases.items():
                if f" {database} " in f"{title} ":
                    procs.setdefault(f"{name} db", []).append(proc)
    procs[LOAD_GENERATOR] = [psutil.Process()]
    return procs


async def apply_load(
    read: Read,
    count: int,
    into: Load,
    processes: Processes | None = None,
    concurrency: int = CONCURRENCY,
) -> None:
    """``count`` reads by ``concurrency`` workers, stopped early after ``ROUND_SECONDS``;
    the CPU time ``processes()`` spent meanwhile is added to ``into.cpu_seconds``."""
    left = count
    deadline = time.perf_counter() + ROUND_SECONDS

    async def worker() -> None:
        nonlocal left
        while left > 0 and time.perf_counter() < deadline:
            left -= 1
            start = time.perf_counter()
            try:
                failure = await read()
            except (httpx.HTTPError, aiohttp.ClientError, TimeoutError) as exc:
                failure = type(exc).__name__
            into.latencies.append(time.perf_counter() - start)
            if failure:
                into.failures[failure] += 1

    procs = processes() if processes else {}
    cpu_before = cpu_seconds(procs)
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    into.seconds += time.perf_counter() - start
    for (label, pid), spent in cpu_seconds(procs).items():
        if (label, pid) in cpu_before:
            into.cpu_seconds[label] = (
                into.cpu_seconds.get(label, 0.0) + spent - cpu_before[label, pid]
            )


def failure_of(service: str, status: int, body: bytes) -> str | None:
    if status == 200:
        return None
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = ""
    return f"{service} {status} {code}".strip()


async def fetch(
    client: aiohttp.ClientSession, service: str, url: str, headers: dict[str, str]
) -> str | None:
    """GET ``url``, its whole body read: what went wrong if it is not a 200."""
    try:
        async with client.get(url, headers=headers, allow_redirects=False) as resp:
            return failure_of(service, resp.status, await resp.read())
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"{service} {type(exc).__name__}"


async def wait_scored(client: httpx.AsyncClient, account: Account, call_id: str) -> None:
    deadline = time.monotonic() + SCORED_TIMEOUT
    status = None
    while time.monotonic() < deadline:
        resp = await client.get(f"/v1/calls/{call_id}", headers=account.bearer)
        resp.raise_for_status()
        status = resp.json()["status"]
        if status == "scored":
            return
        if status == "failed":
            raise RuntimeError(f"call {call_id} failed: {resp.text[:500]}")
        await asyncio.sleep(1)
    raise TimeoutError(f"call {call_id} not scored after {SCORED_TIMEOUT:.0f} s: {status}")


async def run() -> list[Result]:
    call = await asyncio.to_thread(generate_call, short_script(), layout="stereo")
    audio = call.path.read_bytes()
    workers = int(WORKERS or (2 if postgres_available() else 1))
    gateway_env = {"gateway": {"GATEWAY_WORKERS": str(workers)}}
    async with running_stack("gateway", extra_env=gateway_env) as stack:
        secret = stack.env("ingest").get("INGEST_IDENTITY_SECRET", DEV_IDENTITY_SECRET)
        account = await sign_up(stack.gateway)
        # uvicorn closes a connection idle for 5 s, httpx reuses one idle for up to 5 s
        # by default: a reuse at that instant fails (RemoteProtocolError). Keeping the
        # load generator's own connections for less keeps that race out of its numbers.
        limits = httpx.Limits(
            max_connections=4 * CONCURRENCY,
            max_keepalive_connections=max(64, 4 * CONCURRENCY),
            keepalive_expiry=2,
        )

        def session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=4 * CONCURRENCY, keepalive_timeout=limits.keepalive_expiry
                ),
                timeout=aiohttp.ClientTimeout(total=30),
            )

        async with (
            httpx.AsyncClient(base_url=stack.gateway, timeout=30, limits=limits) as public,
            session() as reader,
            session() as internal,
        ):
            call_id = await upload(
                public,
                account,
                audio,
                filename=call.path.name,
                title="Bench call",
                participants=[
                    {"name": "Rita Rep", "email": "rita.rep@seller.example", "role": "rep"},
                    {"name": "Cory Customer", "email": "cory@buyer.example", "role": "customer"},
                ],
            )
            await wait_scored(public, account, call_id)
            key = quote(call_id, safe="")
            urls = stack.urls
            gateway_url = f"{stack.gateway}/v1/calls/{key}"

            async def through_gateway() -> str | None:
                return await fetch(reader, "gateway", gateway_url, account.bearer)

            async def direct() -> str | None:
                headers = identity_headers(secret, account.org_id, account.user_id, account.role)
                failure = await fetch(
                    internal, "ingest", f"{urls['ingest']}/internal/calls/{key}", headers
                )
                if failure:
                    return failure
                transcript, score = await asyncio.gather(
                    fetch(
                        internal,
                        "transcribe",
                        f"{urls['transcribe']}/internal/transcripts/{key}",
                        headers,
                    ),
                    fetch(internal, "score", f"{urls['score']}/internal/scores/{key}", headers),
                )
                return transcript or score

            for read in (direct, through_gateway):  # both answer in full before timing
                if failure := await read():
                    raise RuntimeError(f"{read.__name__}: {failure} for call {call_id}")
                await apply_load(read, WARMUP, Load())
            procs = functools.partial(stack_processes, stack)
            gateway, baseline = Load(), Load()
            for _ in range(ROUNDS):
                await apply_load(direct, REQUESTS // ROUNDS, baseline, procs)
                await apply_load(through_gateway, REQUESTS // ROUNDS, gateway, procs)
            # One reader at a time: the latency a read costs without queueing.
            gateway_alone, baseline_alone = Load(), Load()
            await apply_load(direct, UNLOADED, baseline_alone, concurrency=1)
            await apply_load(through_gateway, UNLOADED, gateway_alone, concurrency=1)

            if any(side.errors for side in (gateway, baseline, gateway_alone, baseline_alone)):
                keep_logs(stack)  # the failures are in the summaries; the causes in the logs
            serving = len(stack_processes(stack)["gateway"])
            if serving != workers:  # a worker that died is not replaced: the figures lie
                keep_logs(stack)
                raise RuntimeError(f"{serving} gateway processes at the end, not {workers}")
    detail: dict[str, float | str] = {
        "gateway": gateway.summary(),
        "direct": baseline.summary(),
        "gateway CPU ms per read": gateway.cpu_per_read(),
        "direct CPU ms per read": baseline.cpu_per_read(),
        "load": f"{CONCURRENCY} concurrent workers, {ROUNDS} alternating rounds per side",
        "gateway processes": str(workers),
        "call": f"{call.duration:.1f} s stereo WAV, scored",
    }
    ms = 1000
    return [
        Result(
            "GET /v1/calls/{id} via gateway",
            "throughput",
            gateway.throughput,
            "ingest+transcribe+score direct",
            baseline.throughput,
            "reads/s",
            extra=detail,
        ),
        Result(
            "GET /v1/calls/{id} via gateway",
            "p99 latency",
            percentile(gateway.latencies, 0.99) * ms,
            "ingest+transcribe+score direct",
            percentile(baseline.latencies, 0.99) * ms,
            "ms",
            higher_is_better=False,
        ),
        Result(
            "GET /v1/calls/{id} via gateway",
            "server CPU per read",
            gateway.server_cpu_ms_per_read(),
            "ingest+transcribe+score direct",
            baseline.server_cpu_ms_per_read(),
            "ms",
            higher_is_better=False,
            extra={"servers": "the service processes and their PostgreSQL backends"},
        ),
        Result(
            "GET /v1/calls/{id} via gateway",
            "p50 latency, 1 worker",
            statistics.median(gateway_alone.latencies) * ms,
            "ingest+transcribe+score direct",
            statistics.median(baseline_alone.latencies) * ms,
            "ms",
            higher_is_better=False,
            extra={"gateway": gateway_alone.summary(), "direct": baseline_alone.summary()},
        ),
    ]
