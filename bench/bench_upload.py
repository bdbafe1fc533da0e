"""Upload throughput through ingest (stream, probe, encrypt, multipart to S3) vs a raw aioboto3 put."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import aioboto3
import httpx

from bench.report import Result
from clashtor_callgen import sox_signal
from clashtor_common.crypto import Keyring
from clashtor_common.embedded import SeaweedS3, TansuBroker, ensure_topics
from clashtor_common.testing.apps import identity_headers, serve

SECONDS = int(os.environ.get("BENCH_UPLOAD_SECONDS", "900"))  # 15 min stereo 16 kHz ≈ 58 MB


def make_wav(path: Path) -> None:
    sox_signal(path, SECONDS, ("pinknoise",), sample_rate=16000, volume=0.1)


async def raw_put(s3: SeaweedS3, data: bytes) -> float:
    session = aioboto3.Session()
    async with session.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name="us-east-1",
    ) as client:
        bucket = f"raw-{uuid.uuid4().hex[:6]}"
        await client.create_bucket(Bucket=bucket)
        start = time.perf_counter()
        await client.put_object(Bucket=bucket, Key="audio.wav", Body=data)
        return time.perf_counter() - start


async def through_ingest(s3: SeaweedS3, bootstrap: str, path: Path, tmp: str) -> float:
    from ingest.main import create_app
    from ingest.settings import IngestSettings

    settings = IngestSettings(
        service_name="ingest-bench",
        environment="test",
        kafka_bootstrap=bootstrap,
        database_url=f"sqlite+aiosqlite:///{tmp}/ingest.db",
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_bucket=f"ingest-{uuid.uuid4().hex[:6]}",
        master_keys=f"b:{Keyring.generate_key()}",
        log_json=False,
    )
    async with serve(create_app(settings)) as base:
        headers = identity_headers(settings.identity_secret.get_secret_value(), "org-bench")
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            with path.open("rb") as fh:
                start = time.perf_counter()
                resp = await client.post(
                    "/internal/calls",
                    headers=headers,
                    files={"file": ("call.wav", fh, "audio/wav")},
                )
                elapsed = time.perf_counter() - start
            resp.raise_for_status()
    return elapsed


async def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "call.wav"
        make_wav(wav)
        data = wav.read_bytes()
        mb = len(data) / 1e6
        broker = TansuBroker().start()
        s3 = SeaweedS3().start()
        try:
            await ensure_topics(broker.bootstrap)
            raw = await raw_put(s3, data)
            ingest = await through_ingest(s3, broker.bootstrap, wav, tmp)
        finally:
            s3.stop()
            broker.stop()
    return [
        Result(
            "upload through ingest",
            "throughput",
            mb / ingest,
            "raw aioboto3 put_object",
            mb / raw,
            "MB/s",
            extra={"file": f"{mb:.1f} MB WAV ({SECONDS} s stereo)"},
        )
    ]
