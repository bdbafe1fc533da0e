"""Measure the local engine on generated calls: WER and speaker attribution.

Not a test (pytest does not collect it): run it to reproduce the figures quoted in the
diarization module and the tests' bounds.

    .venv/bin/python services/transcribe/tests/measure_quality.py [--long]
"""

from __future__ import annotations

import argparse
import time

from clashtor_callgen import default_script, generate_call, short_script
from transcribe.adapters.whisper_engine import WhisperEngine
from transcribe.domain.quality import speaker_attribution, word_error_rate


def measure(name: str, script, layout: str, fmt: str, engine: WhisperEngine, **kw) -> None:
    call = generate_call(script, layout=layout, fmt=fmt, **kw)
    started = time.perf_counter()
    transcript = engine.transcribe_sync(call.path)
    elapsed = time.perf_counter() - started
    wer = word_error_rate(call.text, transcript.text)
    attribution = speaker_attribution(
        call.words(),
        [(w.word, w.speaker) for w in transcript.words],
        best_permutation=layout == "mono",
    )
    print(
        f"{name:<28} {layout:<6} {fmt:<4} audio={call.duration:6.1f}s "
        f"took={elapsed:5.1f}s WER={wer:.3f} speaker_acc={attribution.accuracy:.3f} "
        f"aligned={attribution.aligned_words} speakers={transcript.speakers}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--long", action="store_true", help="also the ~5 minute call")
    args = parser.parse_args()
    engine = WhisperEngine()
    for layout in ("stereo", "mono"):
        measure("short (4 turns)", short_script(), layout, "wav", engine)
        measure("short (4 turns)", short_script(), layout, "mp3", engine)
        measure("discovery call (20 turns)", default_script(), layout, "wav", engine)
        measure("discovery, pause 0.2 s", default_script(), layout, "ogg", engine, pause=0.2)
        if args.long:
            measure("extended to 300 s", None, layout, "mp3", engine, target_duration=300)


if __name__ == "__main__":
    main()
