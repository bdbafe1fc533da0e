"""Upload throughput through ingest (stream, probe, encrypt, multipart to S3) vs a raw aioboto3 put.

Ingest runs as its own uvicorn process (as ``make up`` runs it), on the same SeaweedFS
and broker; the bench process is the client of both. ``BENCH_UPLOAD_LAYOUT=inline``
serves ingest on the bench's own event loop instead, beside its client (how this
bench measured until issue 20: the client's sending then competes with ingest for one
thread, which the raw put never has to). Each round uploads a fresh
variant of the same WAV (a few bytes of its last sample changed, so the same-bytes
answer never short-cuts it, under a fresh organization so the free minutes never run
out) through ``POST /internal/calls`` and puts the same bytes with one
``put_object`` of a raw aioboto3 client; the order alternates between rounds so
neither side always runs on a warmer machine. Reported: the median of each side, and
every round's ratio.

``BENCH_UPLOAD_SECONDS`` (900: 15 min stereo 16 kHz ≈ 58 MB) sets the file,
``BENCH_UPLOAD_ROUNDS`` (3) the rounds.
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aioboto3
import httpx

from bench.report import Result
from clashtor_callgen import sox_signal
from clashtor_common.crypto import Keyring
from clashtor_common.devstack import launch, service_env, stop_process, wait_ready
from clashtor_common.embedded import SeaweedS3, TansuBroker, ensure_topics, free_port
from clashtor_common.testing.apps import identity_headers, serve

SECONDS = int(os.environ.get("BENCH_UPLOAD_SECONDS", "900"))
ROUNDS = int(os.environ.get("BENCH_UPLOAD_ROUNDS", "3"))
LAYOUT = os.environ.get("BENCH_UPLOAD_LAYOUT", "process")


def make_wav(path: Path, seconds: int = SECONDS) -> bytes:
    sox_signal(path, seconds, ("pinknoise",), sample_rate=16000, volume=0.1)
    return path.read_bytes()


def variant(data: bytes, n: int) -> bytes:
    """The same WAV with its last 4 bytes (one stereo sample) changed: new content hash."""
    return data[:-4] + n.to_bytes(4, "little")


async def raw_put(client: Any, bucket: str, data: bytes) -> float:
    start = time.perf_counter()
    await client.put_object(Bucket=bucket, Key=f"audio-{uuid.uuid4().hex}.wav", Body=data)
    return time.perf_counter() - start


async def ingest_upload(client: httpx.AsyncClient, secret: str, data: bytes) -> float:
    headers = identity_headers(secret, f"org-bench-{uuid.uuid4().hex[:8]}")
    start = time.perf_counter()
    resp = await client.post(
        "/internal/calls", headers=headers, files={"file": ("call.wav", data, "audio/wav")}
    )
    elapsed = time.perf_counter() - start
    if resp.status_code != 202:
        raise RuntimeError(f"upload answered {resp.status_code}: {resp.text[:300]}")
    return elapsed


@asynccontextmanager
async def ingest_at(
    broker: TansuBroker, s3: SeaweedS3, work: Path, secret: str
) -> AsyncIterator[str]:
    """Ingest's base URL: its own process (``process``), or served by this process's
    event loop beside the client (``inline``, how this bench measured before)."""
    master = f"b:{Keyring.generate_key()}"
    database = f"sqlite+aiosqlite:///{work}/ingest.db"
    if LAYOUT == "inline":
        from ingest.main import create_app
        from ingest.settings import IngestSettings

        settings = IngestSettings(
            service_name="ingest-bench",
            environment="test",
            kafka_bootstrap=broker.bootstrap,
            database_url=database,
            s3_endpoint=s3.endpoint,
            s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key,
            s3_bucket=f"ingest-{uuid.uuid4().hex[:6]}",
            master_keys=master,
            identity_secret=secret,
            upload_temp_dir=str(work),
            log_json=False,
        )
        async with serve(create_app(settings)) as base:
            yield base
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = service_env(
        "ingest",
        kafka_bootstrap=broker.bootstrap,
        s3=s3,
        urls={"ingest": base},
        database_url=database,
        environment="test",
        extra={
            "INGEST_IDENTITY_SECRET": secret,
            "INGEST_MASTER_KEYS": master,
            "INGEST_UPLOAD_TEMP_DIR": str(work),
        },
    )
    proc = launch("ingest", port, env, work / "ingest.log")
    try:
        wait_ready({"ingest": base}, {"ingest": proc}, timeout=120, quiet=True)
        yield base
    except Exception:
        print((work / "ingest.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        stop_process(proc)


async def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = make_wav(work / "call.wav")
        warmup = make_wav(work / "warmup.wav", 5)
        mb = len(data) / 1e6
        broker = TansuBroker().start()
        s3 = SeaweedS3().start()
        raw_times: list[float] = []
        ingest_times: list[float] = []
        try:
            await ensure_topics(broker.bootstrap)
            secret = secrets.token_urlsafe(32)
            session = aioboto3.Session()
            async with (
                ingest_at(broker, s3, work, secret) as base,
                session.client(
                    "s3",
                    endpoint_url=s3.endpoint,
                    aws_access_key_id=s3.access_key,
                    aws_secret_access_key=s3.secret_key,
                    region_name="us-east-1",
                ) as s3_client,
                httpx.AsyncClient(base_url=base, timeout=600) as http,
            ):
                bucket = f"raw-{uuid.uuid4().hex[:6]}"
                await s3_client.create_bucket(Bucket=bucket)
                await raw_put(s3_client, bucket, warmup)  # first requests of each pay set-up
                await ingest_upload(http, secret, warmup)
                for n in range(ROUNDS):
                    body = variant(data, n)
                    if n % 2 == 0:
                        raw_times.append(await raw_put(s3_client, bucket, body))
                        ingest_times.append(await ingest_upload(http, secret, body))
                    else:
                        ingest_times.append(await ingest_upload(http, secret, body))
                        raw_times.append(await raw_put(s3_client, bucket, body))
        finally:
            s3.stop()
            broker.stop()
    rounds = ", ".join(f"{r / i:.3f}" for r, i in zip(raw_times, ingest_times, strict=True))
    return [
        Result(
            f"upload through ingest ({LAYOUT})",
            "throughput",
            mb / statistics.median(ingest_times),
            "raw aioboto3 put_object",
            mb / statistics.median(raw_times),
            "MB/s",
            target="≥ 0.7",
            extra={
                "file": f"{mb:.1f} MB WAV ({SECONDS} s stereo), {ROUNDS} alternating rounds",
                "ratio per round": rounds,
            },
        )
    ]
