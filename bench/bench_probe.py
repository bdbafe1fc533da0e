"""Ingest's upload checks: measuring a call by decoding it, and reading the form as it streams.

- ``probe``: × real time of ``probe_audio`` (decodes every sample to measure the length,
  issue 11 hole 3) beside the old way, demuxing packets and trusting their timestamps
  (fast, and wrong for a file whose timestamps lie). Per codec, 10 minutes of audio.
- ``form reader``: MB/s of ``clashtor_common.multipart.FormReader`` over a 100 MB file
  part (what the gateway now runs over every upload) beside slicing the same bytes.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from bench.report import Result
from clashtor_callgen import encode
from clashtor_common.media import OPEN_OPTIONS
from clashtor_common.multipart import FormLimits, FormReader

SECONDS = int(os.environ.get("BENCH_PROBE_SECONDS", "600"))
RATE = 16_000


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def _packet_span(path: Path) -> None:
    with av.open(str(path), options=OPEN_OPTIONS) as container:
        stream = container.streams.audio[0]
        for _ in container.demux(stream):
            pass


async def run() -> list[Result]:
    from ingest.adapters.audio_probe import probe_audio

    rng = np.random.default_rng(7)
    samples = (0.1 * rng.standard_normal((2, SECONDS * RATE))).astype(np.float32)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("mp3", "webm", "flac", "m4a"):
            path = encode(samples, RATE, Path(tmp) / f"call.{fmt}", fmt)  # type: ignore[arg-type]
            measured = _timed(lambda p=path: probe_audio(p))
            span = _timed(lambda p=path: _packet_span(p))
            results.append(
                Result(
                    name=f"probe {fmt} ({SECONDS // 60} min stereo)",
                    metric="x real time",
                    value=SECONDS / measured,
                    baseline_name="packet timestamps (old)",
                    baseline=SECONDS / span,
                    unit="x",
                )
            )
    body = os.urandom(1 << 20) * 100
    head = b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'

    def read_form() -> None:
        reader = FormReader(b"bnd", FormLimits(), on_file_data=lambda _: None)
        reader.feed(head)
        for i in range(0, len(body), 65536):
            reader.feed(body[i : i + 65536])
        reader.feed(b"\r\n--bnd--\r\n")
        reader.finish()

    def slice_only() -> None:
        for i in range(0, len(body), 65536):
            _ = body[i : i + 65536]

    results.append(
        Result(
            name="form reader (100 MB file part)",
            metric="throughput",
            value=100 / _timed(read_form),
            baseline_name="slicing the bytes",
            baseline=100 / _timed(slice_only),
            unit="MB/s",
        )
    )
    return results
