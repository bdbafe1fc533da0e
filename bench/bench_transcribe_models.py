"""Transcription quality per model: WER, speaker attribution, × real time, peak RSS.

Each model (``base``, the default, and ``tiny.en``) runs on the real-speech set
(``bench.realspeech``: a real two-party phone call with a reference by turn) and on
generated calls (espeak-ng voices: a ~2-minute mono call, and a stereo call whose legs
carry the other party at -20 dB), two ways, each in its own subprocess:

- **service**: ``WhisperEngine`` as the service runs it (windows, language detection,
  crosstalk removal, diarization);
- **direct**: ``faster_whisper.WhisperModel.transcribe`` on the same file with the same
  model, beam, VAD filter and word timestamps (stereo: each channel alone, as the
  service does, with no crosstalk removal); no speakers.

WER is normalized (``transcribe.domain.quality``). Speaker attribution: on the real
call by word time against the reference turns (best relabelling; words in overlap or
silence left out); on generated calls by the WER alignment against the script.
Published figures for comparison (Whisper paper, Radford et al. 2022, appendix D.1.1,
LibriSpeech test-clean WER, greedy): tiny.en 5.6 %, base 5.0 % — read-speech
audiobooks, so far easier than phone calls.

    nice .venv/bin/python -m bench transcribe_models
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bench.bench_transcribe import (
    CPU_THREADS,
    beam_of,
    json_child,
    peak_rss_mb,
    peak_rss_result,
)
from bench.report import Result

MODELS = ("base", "tiny.en")
PUBLISHED_LIBRISPEECH_CLEAN_WER = {"base": 0.050, "tiny.en": 0.056}


def _items() -> list[dict[str, Any]]:
    """The evaluation set: path, layout and the reference of each item."""
    from bench.realspeech import real_calls
    from clashtor_callgen import generate_call, short_script

    items: list[dict[str, Any]] = [
        {"name": c.name, "path": str(c.path), "text": c.text, "segments": c.segments}
        for c in real_calls()
    ]
    mono = generate_call(layout="mono", fmt="mp3")
    stereo = generate_call(short_script(), layout="stereo", fmt="wav", crosstalk=0.1)
    for name, call in (("synthetic mono", mono), ("synthetic stereo, -20 dB crosstalk", stereo)):
        items.append(
            {
                "name": name,
                "path": str(call.path),
                "text": call.text,
                "words": call.words(),
                "stereo": call.layout == "stereo",
            }
        )
    return items


# --- the two sides (each in its own process) ------------------------------------------


def run_side(side: str, model_name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    from transcribe.adapters.audio import decode_audio
    from transcribe.adapters.whisper_engine import WhisperConfig, WhisperEngine, load_model

    config = WhisperConfig(
        model_name=model_name, cpu_threads=CPU_THREADS, beam_size=beam_of(model_name)
    )
    model = load_model(config)
    engine = WhisperEngine(config)
    out = []
    for item in items:
        started = time.perf_counter()
        if side == "service":
            transcript = engine.transcribe_sync(item["path"])
            words = [[w.word, w.start, w.end, w.speaker] for w in transcript.words]
            text, language = transcript.text, transcript.language
        else:
            audio = decode_audio(item["path"])
            channels = audio.samples if item.get("stereo") else [audio.mono()]
            words, language = [], ""
            for c, samples in enumerate(channels):
                segments, info = model.transcribe(
                    samples,
                    language="en" if model_name.endswith(".en") else None,
                    beam_size=beam_of(model_name),
                    word_timestamps=True,
                    vad_filter=True,
                    condition_on_previous_text=False,
                )
                language = info.language
                words += [
                    [w.word.strip(), w.start, w.end, c] for s in segments for w in s.words or ()
                ]
            words.sort(key=lambda w: w[1])
            text = " ".join(w[0] for w in words)
        wall = time.perf_counter() - started
        out.append(
            {
                "name": item["name"],
                "wall": wall,
                "words": words,
                "text": text,
                "language": language,
                "duration": decode_audio(item["path"]).duration,
            }
        )
    return {"items": out, "peak_rss_mb": peak_rss_mb()}


def _child(side: str, model: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return json_child(["bench.bench_transcribe_models", side, model], json.dumps(items))


# --- the benchmark --------------------------------------------------------------------


def _scores(item: dict[str, Any], got: dict[str, Any], with_speakers: bool) -> dict[str, Any]:
    from transcribe.domain.quality import attribution_by_time, speaker_attribution, word_error_rate

    scores: dict[str, Any] = {
        "wer": word_error_rate(item["text"], got["text"]),
        "rtf": got["duration"] / got["wall"],
        "language": got["language"],
    }
    if with_speakers:
        if "segments" in item:
            spans = [(w[1], w[2], w[3]) for w in got["words"]]
            scores["speakers"] = attribution_by_time(item["segments"], spans).accuracy
        else:
            pairs = [(w[0], w[3]) for w in got["words"]]
            scores["speakers"] = speaker_attribution(
                item["words"], pairs, best_permutation=not item.get("stereo")
            ).accuracy
    return scores


async def run() -> list[Result]:
    items = await asyncio.to_thread(_items)
    results: list[Result] = []
    for model in MODELS:
        service = await asyncio.to_thread(_child, "service", model, items)
        direct = await asyncio.to_thread(_child, "direct", model, items)
        for item, s, d in zip(items, service["items"], direct["items"], strict=True):
            ours, theirs = _scores(item, s, True), _scores(item, d, False)
            results.append(
                Result(
                    f"transcribe {model}: {item['name']}",
                    "WER",
                    ours["wer"],
                    "faster-whisper direct",
                    theirs["wer"],
                    "",
                    higher_is_better=False,
                    extra={
                        "speaker attribution (service)": round(ours["speakers"], 3),
                        "× real time service / direct": f"{ours['rtf']:.1f} / {theirs['rtf']:.1f}",
                        "language service / direct": f"{ours['language']} / {theirs['language']}",
                        "published LibriSpeech test-clean WER": PUBLISHED_LIBRISPEECH_CLEAN_WER[
                            model
                        ],
                    },
                )
            )
        results.append(
            peak_rss_result(f"transcribe {model}: whole set", service, direct, "the set")
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="one side of the model benchmark")
    parser.add_argument("side", choices=("direct", "service"))
    parser.add_argument("model", choices=MODELS)
    args = parser.parse_args()
    print(json.dumps(run_side(args.side, args.model, json.load(sys.stdin))))


if __name__ == "__main__":
    main()
