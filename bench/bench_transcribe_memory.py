"""Transcribe memory on long calls: peak RSS for a 60-minute call against a 5-minute one.

The local engine never decodes a call whole: it reads it in windows cut at pauses and
keeps only the words (and, for mono, the diarizer's MFCCs). Each call runs through the
service path (``bench_transcribe.run_service``: decrypt, decode, recognize, diarize,
encrypt) in its own subprocess, so its ``VmHWM`` is that call's own peak. Both are
mono MP3 generated calls with two voices, the default model (Whisper base, beam 5).
Target: 60-minute peak ≤ 1.5 × the 5-minute peak (issue 17). Before the windows the
whole call was decoded into memory: 4.5 GB for 60 minutes against ~560 MB for 80 s.

    nice .venv/bin/python -m bench transcribe_memory
"""

from __future__ import annotations

import asyncio
import os

from bench.bench_transcribe import MODEL, _child
from bench.report import Result

SHORT = float(os.environ.get("BENCH_MEMORY_SHORT_SECONDS", "300"))
LONG = float(os.environ.get("BENCH_MEMORY_LONG_SECONDS", "3600"))


async def run() -> list[Result]:
    from clashtor_callgen import generate_call

    short = await asyncio.to_thread(generate_call, layout="mono", fmt="mp3", target_duration=SHORT)
    long = await asyncio.to_thread(generate_call, layout="mono", fmt="mp3", target_duration=LONG)
    short_run = await asyncio.to_thread(_child, "service", short.path, 1, MODEL)
    long_run = await asyncio.to_thread(_child, "service", long.path, 1, MODEL)
    return [
        Result(
            f"transcribe {long.duration / 60:.0f}-min call (local, {MODEL})",
            "peak RSS",
            long_run["peak_rss_mb"],
            f"{short.duration / 60:.0f}-min call",
            short_run["peak_rss_mb"],
            "MB",
            higher_is_better=False,
            target="ratio ≤ 1.5",
            extra={
                "real-time factor long / short": f"{long.duration / long_run['walls'][0]:.1f} / "
                f"{short.duration / short_run['walls'][0]:.1f}",
                "measured": "VmHWM of each call's own subprocess (model + workload)",
            },
        )
    ]
