"""Fairness: one organization's burst of 20 uploads vs another organization's single call.

The transcribe service as it runs (``bootstrap``: its SQLite database, the durable
queue and one worker, ``TRANSCRIBE_CONCURRENCY=1``; SeaweedFS S3; an ingest stand-in
serving the audio keys; the local engine with ``BENCH_FAIRNESS_MODEL``, default tiny.en,
beam 1) takes ``call-uploaded`` events as its consumer admits them (``admit_upload``;
the broker itself is measured in ``bench_outbox``). Organization A's burst of
``BENCH_FAIRNESS_BURST`` (20) short calls is admitted, then organization B's one call.

- **B's wait**: from B's admission to a worker starting B's call;
- **one call's transcription**: the median time a worker spent on one of A's calls in
  the same round (the baseline: B may wait at most that long, ratio ≤ 1). With one
  worker, B waits for the rest of the call already running when it arrives (reported
  too), so on a noisy machine a round whose running call took longer than the median
  can come out a little above 1;

each with the queue's fair order (organizations take turns) and again with it off
(``TRANSCRIBE_FAIR_SCHEDULING=false``: first come, first served, the order a single
consumer had before the queue). The rounds alternate ``BENCH_FAIRNESS_ROUNDS`` times
(default 1) after a warm-up call.

Cost per audio hour of the whole service process (every thread's CPU,
``time.process_time``, over the fair rounds: admission, queue, database, S3, decryption,
decoding, Whisper, diarization, encryption, outbox) is reported against faster-whisper
called directly on the same audio with the same model (``bench_transcribe``'s direct
side, in its own process).

    .venv/bin/python -m bench fairness
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.bench_transcribe import beam_of, json_child
from bench.report import Result
from clashtor_common.crypto import DataKey, Keyring
from clashtor_common.datakeys import call_key_id
from clashtor_common.embedded import SeaweedS3
from clashtor_common.events import CallUploaded, Envelope, make_event
from clashtor_common.inbox import InboxRecord
from clashtor_common.migrate import find_migrations, upgrade_head
from clashtor_common.outbox import OutboxRecord
from clashtor_common.s3 import S3Store
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.apps import settings_for_tests
from clashtor_common.testing.keys import ProducerKeys, producer_url
from transcribe import main as transcribe_main
from transcribe.adapters.queue import Claim
from transcribe.adapters.tables import TABLES
from transcribe.bootstrap import bootstrap
from transcribe.context import TranscribeContext, context_of, workers_of
from transcribe.service_layer.transcription import admit_upload
from transcribe.settings import TranscribeSettings

BURST = int(os.environ.get("BENCH_FAIRNESS_BURST", "20"))
ROUNDS = int(os.environ.get("BENCH_FAIRNESS_ROUNDS", "1"))
MODEL = os.environ.get("BENCH_FAIRNESS_MODEL", "tiny.en")


class IngestStandIn:
    """Encrypted recordings in a bucket of its own and their keys served over HTTP, as
    ingest keeps them; ``call-uploaded`` events naming them."""

    def __init__(self, settings: TranscribeSettings) -> None:
        self.keyring = Keyring.from_config(settings.master_keys.get_secret_value())
        self.store = S3Store(
            ServiceSettings(
                service_name="ingest-bench",
                environment="test",
                s3_endpoint=settings.s3_endpoint,
                s3_access_key=settings.s3_access_key,
                s3_secret_key=settings.s3_secret_key,
                s3_bucket=f"ingest-bench-{uuid.uuid4().hex[:8]}",
            )
        )
        self.keys = ProducerKeys(
            settings.ingest_url, self.keyring, settings.identity_secret.get_secret_value()
        )

    async def upload(self, org: str, audio: bytes, duration: float) -> Envelope:
        call_id = str(uuid.uuid4())
        data_key = self.keys.keys[call_key_id(call_id)] = DataKey.generate(call_key_id(call_id))

        async def pieces() -> AsyncIterator[bytes]:
            yield audio

        blob = b"".join([c async for c in self.keyring.encrypt_stream(pieces(), key=data_key)])
        key = f"orgs/{org}/calls/{call_id}.audio.enc"
        await self.store.put_bytes(key, blob)
        payload = CallUploaded(
            call_id=call_id,
            uploader_id="bench-user",
            audio=self.store.ref(key),
            audio_key_id=call_key_id(call_id),
            audio_format="mp3",
            duration=duration,
            channels=1,
            sample_rate=16000,
            size_bytes=len(audio),
            participants=[],
        )
        return make_event(payload, source="ingest", org_id=org, key=call_id, subject_ids=[call_id])


class Timeline:
    """When each call was admitted, started and finished by a worker."""

    def __init__(self) -> None:
        self.admitted: dict[str, float] = {}
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}

    def watch(self, ctx: TranscribeContext, runtime: Any) -> None:
        workers = workers_of(runtime)
        run = workers.run

        async def timed(claim: Claim) -> None:
            self.started[claim.call_id] = time.perf_counter()
            await run(claim)
            self.finished[claim.call_id] = time.perf_counter()

        workers.run = timed  # type: ignore[method-assign]


async def _admit(ctx: TranscribeContext, event: Envelope, timeline: Timeline) -> None:
    """What the consumer does for one ``call-uploaded`` (its own transaction)."""
    async with ctx.db.session() as session:
        await admit_upload(ctx, session, event, event.payload_as(CallUploaded))
    timeline.admitted[event.data["call_id"]] = time.perf_counter()


async def _round(
    ctx: TranscribeContext,
    runtime: Any,
    ingest: IngestStandIn,
    audio: bytes,
    duration: float,
    *,
    fair: bool,
) -> dict[str, float]:
    ctx.queue.fair = fair  # what TRANSCRIBE_FAIR_SCHEDULING sets
    burst_org, single_org = f"org-a-{uuid.uuid4().hex[:6]}", f"org-b-{uuid.uuid4().hex[:6]}"
    burst = [await ingest.upload(burst_org, audio, duration) for _ in range(BURST)]
    single = await ingest.upload(single_org, audio, duration)
    timeline = Timeline()
    timeline.watch(ctx, runtime)
    workers = workers_of(runtime)
    cpu = time.process_time()
    await workers.start()
    try:
        for event in burst:
            await _admit(ctx, event, timeline)
        await _admit(ctx, single, timeline)
        every = {e.data["call_id"] for e in [*burst, single]}
        while not every <= set(timeline.finished):
            await asyncio.sleep(0.2)
    finally:
        await workers.stop()
        del workers.run  # the class's own again
    cpu = time.process_time() - cpu
    b = single.data["call_id"]
    per_call = [timeline.finished[c] - timeline.started[c] for c in timeline.finished if c != b]
    order = sorted(timeline.started, key=timeline.started.__getitem__)
    running = [  # the call a worker was on when B was admitted: what B waited behind
        timeline.finished[c] - timeline.started[c]
        for c in timeline.finished
        if timeline.started[c] <= timeline.admitted[b] < timeline.finished[c]
    ]
    return {
        "behind": running[0] if running else 0.0,
        "wait": timeline.started[b] - timeline.admitted[b],
        "one_call": statistics.median(per_call),
        "position": order.index(b) + 1,
        "cpu": cpu,
        "audio": duration * (BURST + 1),
    }


async def run() -> list[Result]:
    from clashtor_callgen import generate_call, short_script

    call = await asyncio.to_thread(generate_call, short_script(), layout="mono", fmt="mp3")
    audio = call.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bench-fairness-") as tmp:
        s3 = await asyncio.to_thread(SeaweedS3(data_dir=Path(tmp) / "s3").start)
        try:
            settings = settings_for_tests(
                TranscribeSettings,
                "transcribe",
                kafka_bootstrap="127.0.0.1:9",  # no broker: events are admitted directly
                database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'transcribe.db'}",
                s3_settings={
                    "s3_endpoint": s3.endpoint,
                    "s3_access_key": s3.access_key,
                    "s3_secret_key": s3.secret_key,
                },
                ingest_url=producer_url(),
                whisper_model_name=MODEL,
                whisper_beam_size=beam_of(MODEL),
                concurrency=1,
            )
            rounds = await _measure(settings, audio, call.duration)
        finally:
            await asyncio.to_thread(s3.stop)
    direct = await asyncio.to_thread(
        json_child, ["bench.bench_transcribe", "direct", str(call.path), "3", "--model", MODEL]
    )
    return _results(rounds, direct, call.duration)


async def _measure(
    settings: TranscribeSettings, audio: bytes, duration: float
) -> dict[str, list[dict[str, float]]]:
    await upgrade_head(
        settings.database_url,
        find_migrations(transcribe_main.__file__),
        (OutboxRecord, InboxRecord, *TABLES),
    )
    runtime = bootstrap(settings)
    ctx = context_of(runtime)
    ingest = IngestStandIn(settings)
    await ingest.keys.start()
    rounds: dict[str, list[dict[str, float]]] = {"fair": [], "fifo": []}
    try:
        warm = await ingest.upload("org-warm-up", audio, duration)  # model load, first S3 use
        await _admit(ctx, warm, Timeline())
        await workers_of(runtime).run_next()
        for n in range(ROUNDS):
            for mode in ("fair", "fifo") if n % 2 == 0 else ("fifo", "fair"):
                got = await _round(ctx, runtime, ingest, audio, duration, fair=mode == "fair")
                rounds[mode].append(got)
                print(
                    f"   {mode}: B's call started at position {got['position']}, "
                    f"waited {got['wait']:.2f} s; "
                    f"one call {got['one_call']:.2f} s",
                    flush=True,
                )
    finally:
        await ingest.keys.stop()
        await ctx.aclose()
        await runtime.db.dispose()
    return rounds


def _results(
    rounds: dict[str, list[dict[str, float]]], direct: dict[str, Any], duration: float
) -> list[Result]:
    def worst(mode: str, key: str) -> float:
        return max(r[key] for r in rounds[mode])

    def ratios(mode: str) -> str:
        return " / ".join(f"{r['wait'] / r['one_call']:.3f}" for r in rounds[mode])

    model = f"{MODEL}, int8, beam {beam_of(MODEL)}, 2 CPU threads, 1 worker"
    common: dict[str, float | str] = {
        "burst": f"{BURST} calls of {duration:.1f} s (mono MP3) from A, then 1 from B",
        "model": model,
    }
    fair = max(rounds["fair"], key=lambda r: r["wait"] / r["one_call"])
    fifo = max(rounds["fifo"], key=lambda r: r["wait"] / r["one_call"])
    service_cpu = sum(r["cpu"] for r in rounds["fair"]) / sum(r["audio"] for r in rounds["fair"])
    direct_cpu = min(direct["cpus"]) / duration
    return [
        Result(
            "fair queue: B's call behind A's burst",
            "wait before start",
            fair["wait"],
            "one call's transcription",
            fair["one_call"],
            "s",
            higher_is_better=False,
            target="≤ 1",
            extra={
                **common,
                "B started (position)": int(worst("fair", "position")),
                "ratio per round": ratios("fair"),
                "the running call B waited behind took (s, per round)": " / ".join(
                    f"{r['behind']:.2f}" for r in rounds["fair"]
                ),
            },
        ),
        Result(
            "first come first served (old order)",
            "wait before start",
            fifo["wait"],
            "one call's transcription",
            fifo["one_call"],
            "s",
            higher_is_better=False,
            extra={
                **common,
                "B started (position)": int(worst("fifo", "position")),
                "ratio per round": ratios("fifo"),
            },
        ),
        Result(
            "transcribe process cost per audio hour",
            "CPU-seconds",
            service_cpu * 3600,
            "faster-whisper direct",
            direct_cpu * 3600,
            "CPU-s/h",
            higher_is_better=False,
            extra={
                "model": model,
                "measured": "time.process_time of the service process over the fair rounds "
                "(every thread: queue, SQLite, S3, crypto, decoding, Whisper, diarization) "
                "/ audio transcribed; direct: best of 3 in its own process",
            },
        ),
    ]
