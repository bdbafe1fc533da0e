"""Transcribe service path (decrypt + local engine + normalization) vs faster-whisper called directly.

Both sides transcribe the same ~5-minute generated mono call (MP3, two voices) with the
same model (``BENCH_TRANSCRIBE_MODEL``, default the service default Whisper base, from
its packages), int8, the same CPU threads and the same decoding options (beam 5 for
base, 1 for tiny.en; word timestamps, VAD filter, language detected, no conditioning
on previous text):

- **service**: what the ``call-uploaded`` handler does once the encrypted recording
  is downloaded: decrypt the ``CTS1`` stream to a temp file
  (``transcribe.adapters.recording.decrypt_to_file``), ``await engine.transcribe(path)``
  (PyAV decode, faster-whisper, diarization, normalization into ``Transcript``), then
  encrypt the transcript JSON for storage;
- **direct**: ``WhisperModel.transcribe(path, ...)`` and every segment consumed.

Each side runs in its own subprocess (so its peak RSS, ``VmHWM``, is its own),
loads the model first (not timed), then runs the workload ``BENCH_TRANSCRIBE_REPEATS``
times (default 2); the best wall time counts. Real-time factor = audio seconds per
wall second; overhead = service wall / direct wall (target ≤ 1.10).

    .venv/bin/python -m bench transcribe
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Result

AUDIO_SECONDS = float(os.environ.get("BENCH_TRANSCRIBE_SECONDS", "300"))
REPEATS = int(os.environ.get("BENCH_TRANSCRIBE_REPEATS", "2"))
MODEL = os.environ.get("BENCH_TRANSCRIBE_MODEL", "base")
CPU_THREADS = 2
ROOT = Path(__file__).resolve().parents[1]


# --- the two sides (each in its own process) ------------------------------------------


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that over
    from the parent across fork and exec, so a child started by a bench that has just
    generated a long call in memory would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def beam_of(model: str) -> int:
    return 1 if model == "tiny.en" else 5


def run_direct(audio: Path, repeats: int, model_name: str = MODEL) -> dict[str, Any]:
    from faster_whisper import WhisperModel

    from transcribe.adapters.models import model_path

    model = WhisperModel(
        str(model_path(model_name)),
        device="cpu",
        compute_type="int8",
        cpu_threads=CPU_THREADS,
        local_files_only=True,
    )
    walls: list[float] = []
    cpus: list[float] = []
    text = ""
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        segments, _info = model.transcribe(
            str(audio),
            language="en" if model_name.endswith(".en") else None,
            beam_size=beam_of(model_name),
            word_timestamps=True,
            vad_filter=True,
            condition_on_previous_text=False,
        )
        text = " ".join(s.text.strip() for s in segments)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return {"walls": walls, "cpus": cpus, "peak_rss_mb": peak_rss_mb(), "text": text}


def run_service(
    audio: Path, repeats: int, model_name: str = MODEL, window: float = 120.0
) -> dict[str, Any]:
    from clashtor_common.crypto import Keyring
    from transcribe.adapters.objects import transcript_aad
    from transcribe.adapters.recording import decrypt_to_file
    from transcribe.adapters.whisper_engine import WhisperConfig, WhisperEngine, load_model

    keyring = Keyring.from_config(f"bench:{Keyring.generate_key()}")
    blob = asyncio.run(_encrypt_stream(keyring, audio.read_bytes()))
    config = WhisperConfig(
        model_name=model_name,
        cpu_threads=CPU_THREADS,
        beam_size=beam_of(model_name),
        window_seconds=window,
    )
    engine = WhisperEngine(config)
    load_model(config)  # as the service: loaded once per process, before the first call
    walls: list[float] = []
    cpus: list[float] = []
    transcript = None
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        for n in range(repeats):
            started, cpu = time.perf_counter(), time.process_time()
            path = Path(tmp) / f"recording-{n}{audio.suffix}"
            decrypt_to_file(keyring, blob, path, {})  # self-keyed (CTS1): no key table
            transcript = asyncio.run(engine.transcribe(path))
            keyring.encrypt(transcript.model_dump_json().encode(), aad=transcript_aad("call"))
            path.unlink()
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
    assert transcript is not None
    return {
        "walls": walls,
        "cpus": cpus,
        "peak_rss_mb": peak_rss_mb(),
        "text": transcript.text,
        "words": [[w.word, w.speaker] for w in transcript.words],
        "speakers": transcript.speakers,
        "language": transcript.language,
    }


async def _encrypt_stream(keyring: Any, data: bytes) -> bytes:
    async def pieces() -> Any:
        for i in range(0, len(data), 256 * 1024):
            yield data[i : i + 256 * 1024]

    return b"".join([c async for c in keyring.encrypt_stream(pieces())])


def _child(side: str, audio: Path, repeats: int, model: str = MODEL) -> dict[str, Any]:
    """Run one side in a fresh interpreter (its own peak RSS)."""
    return json_child(["bench.bench_transcribe", side, str(audio), str(repeats), "--model", model])


def json_child(module_and_args: list[str], stdin: str | None = None) -> dict[str, Any]:
    """``python -m module args`` with ``stdin``; its JSON report is the last stdout line."""
    proc = subprocess.run(
        [sys.executable, "-m", *module_and_args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(module_and_args)} failed:\n{proc.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


# --- the benchmark --------------------------------------------------------------------


async def run() -> list[Result]:
    from clashtor_callgen import generate_call
    from transcribe.domain.quality import speaker_attribution, word_error_rate

    call = await asyncio.to_thread(
        generate_call, layout="mono", fmt="mp3", target_duration=AUDIO_SECONDS
    )
    direct = await asyncio.to_thread(_child, "direct", call.path, REPEATS)
    service = await asyncio.to_thread(_child, "service", call.path, REPEATS)

    direct_wall, service_wall = min(direct["walls"]), min(service["walls"])
    attribution = speaker_attribution(call.words(), [tuple(w) for w in service["words"]])
    common: dict[str, float | str] = {
        "audio": f"{call.duration:.1f} s mono MP3, {len(call.turns)} turns",
        "model": f"{MODEL}, int8, {CPU_THREADS} CPU threads, beam {beam_of(MODEL)}",
        "wall s service (runs)": " / ".join(f"{w:.2f}" for w in service["walls"]),
        "wall s direct (runs)": " / ".join(f"{w:.2f}" for w in direct["walls"]),
    }
    return [
        Result(
            "transcribe service path (local)",
            "real-time factor",
            call.duration / service_wall,
            "faster-whisper direct",
            call.duration / direct_wall,
            "audio s/s",
            target="≥ 0.91 (overhead ≤ 1.10)",
            extra={
                **common,
                "overhead (service wall / direct wall)": round(service_wall / direct_wall, 3),
                "WER service / direct": f"{word_error_rate(call.text, service['text']):.3f} / "
                f"{word_error_rate(call.text, direct['text']):.3f}",
                "service speaker accuracy (diarized)": round(attribution.accuracy, 3),
                "service speakers found": service["speakers"],
            },
        ),
        peak_rss_result("transcribe service path (local)", service, direct, "workload"),
        cost_per_audio_hour(call.duration, service, direct, common["model"]),
    ]


def cost_per_audio_hour(
    audio_seconds: float, service: dict[str, Any], direct: dict[str, Any], model: Any
) -> Result:
    """CPU-seconds (every thread of the process: ``time.process_time``) per hour of audio,
    the service path against faster-whisper direct: what a plan's minute costs in CPU."""

    def per_hour(side: dict[str, Any]) -> float:
        return min(side["cpus"]) * 3600 / audio_seconds

    return Result(
        "transcribe cost per audio hour",
        "CPU-seconds",
        per_hour(service),
        "faster-whisper direct",
        per_hour(direct),
        "CPU-s/h",
        higher_is_better=False,
        extra={
            "model": model,
            "CPU s service (runs)": " / ".join(f"{c:.2f}" for c in service["cpus"]),
            "measured": "process CPU time (user + system, all threads) of each side's workload",
        },
    )


def peak_rss_result(
    name: str, service: dict[str, Any], direct: dict[str, Any], what: str
) -> Result:
    """Peak RSS of the service side against faster-whisper direct, each its own process."""
    return Result(
        name,
        "peak RSS",
        service["peak_rss_mb"],
        "faster-whisper direct",
        direct["peak_rss_mb"],
        "MB",
        higher_is_better=False,
        extra={"measured": f"VmHWM of each side's own subprocess (model + {what})"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="one side of the transcribe benchmark")
    parser.add_argument("side", choices=("direct", "service"))
    parser.add_argument("audio", type=Path)
    parser.add_argument("repeats", type=int)
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args()
    side = run_direct if args.side == "direct" else run_service
    print(json.dumps(side(args.audio, args.repeats, args.model)))


if __name__ == "__main__":
    main()
