"""Scoring a 60-minute call with the local engine vs merely parsing and validating its transcript.

What is timed, on the same synthetic 60-minute two-party discovery call
(``score.domain.synthetic.synthetic_sales_call``, deterministic), in the same run:

- ``score_call`` with the organization defaults (built-in trackers, MEDDIC) and the
  deterministic local coach: roles, metrics, tracker hits, scorecard and feedback;
- the service's whole worker-thread step for one call: decrypt the transcript object,
  parse and validate it, score, and seal result and transcript for storage;
- the baseline: ``Transcript.model_validate_json`` of the transcript's JSON — the least any
  consumer of the transcript must do.

Each is run several times after a warm-up; the median is reported (target: scoring under
200 ms), and throughput is one call after another on one core.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.report import Result
from clashtor_common.crypto import Keyring
from clashtor_common.events.transcript import Transcript
from score.adapters.sealed import seal, transcript_object_aad
from score.domain.coaching import LocalCoach
from score.domain.scorecard_templates import meddic_template
from score.domain.scoring import score_call
from score.domain.synthetic import synthetic_sales_call
from score.domain.trackers import default_trackers

RUNS = int(os.environ.get("BENCH_SCORE_RUNS", "9"))
MINUTES = float(os.environ.get("BENCH_SCORE_MINUTES", "60"))


def _timed(fn: Callable[[], Any], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of ``runs`` calls after a warm-up; their CPU times into ``cpu``."""
    fn()  # warm-up: imports, caches, first allocations
    times = []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_start)
    return times


async def run() -> list[Result]:
    transcript = synthetic_sales_call(minutes=MINUTES)
    raw = transcript.model_dump_json().encode()
    keyring = Keyring.from_config(f"bench:{Keyring.generate_key()}")
    call_id = "bench-call"
    blob = keyring.encrypt(raw, aad=transcript_object_aad(call_id))
    trackers, scorecard, coach = (
        default_trackers("bench-org"),
        meddic_template("bench-org"),
        LocalCoach(),
    )

    def parse() -> Transcript:
        return Transcript.model_validate_json(raw)

    def score() -> Any:
        return score_call(transcript, trackers=trackers, scorecard=scorecard, coach=coach)

    def handler_step() -> Any:
        parsed = Transcript.model_validate_json(
            keyring.decrypt(blob, aad=transcript_object_aad(call_id))
        )
        result = score_call(parsed, trackers=trackers, scorecard=scorecard, coach=coach)
        seal(keyring, result.model_dump_json().encode(), org_id="o", call_id=call_id, kind="result")
        seal(
            keyring,
            parsed.model_dump_json().encode(),
            org_id="o",
            call_id=call_id,
            kind="transcript",
        )
        return result

    parse_cpu: list[float] = []
    step_cpu: list[float] = []
    parse_t = _timed(parse, RUNS, parse_cpu)
    score_t = _timed(score, RUNS)
    step_t = _timed(handler_step, RUNS, step_cpu)
    per_hour = 60 / MINUTES  # calls of this length per audio hour
    parse_ms, score_ms, step_ms = (statistics.median(t) * 1000 for t in (parse_t, score_t, step_t))
    result = score()
    call = (
        f"{MINUTES:g}-minute synthetic call: {len(transcript.utterances)} utterances, "
        f"{transcript.word_count} words, {len(raw) / 1e6:.2f} MB JSON"
    )
    return [
        Result(
            "score_call, local engine",
            "median time per call",
            score_ms,
            "Transcript.model_validate_json",
            parse_ms,
            "ms",
            higher_is_better=False,
            target="< 200 ms",
            extra={
                "call": call,
                "runs": RUNS,
                "score_call min / max (ms)": f"{min(score_t) * 1000:.1f} / {max(score_t) * 1000:.1f}",
                "tracker hits / overall (MEDDIC)": f"{sum(t.count for t in result.trackers)} / {result.overall_score}",
            },
        ),
        Result(
            "score_call, local engine",
            "calls scored per second",
            1000 / score_ms,
            "transcripts parsed per second",
            1000 / parse_ms,
            "calls/s",
            extra={"one core, calls one after another": "1 / median time"},
        ),
        Result(
            "handler worker step",
            "median time per call",
            step_ms,
            "Transcript.model_validate_json",
            parse_ms,
            "ms",
            higher_is_better=False,
            extra={
                "step": "decrypt + parse + score_call + seal result and transcript (zlib + AES-GCM)"
            },
        ),
        Result(
            "score cost per audio hour",
            "CPU-seconds",
            statistics.median(step_cpu) * per_hour,
            "parsing the transcript",
            statistics.median(parse_cpu) * per_hour,
            "CPU-s/h",
            higher_is_better=False,
            extra={"measured": "process CPU time (time.process_time) of the worker step, median"},
        ),
    ]
