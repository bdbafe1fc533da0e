"""Write the recorded-style Deepgram responses the stub serves (run once, commit output).

Deepgram's documented pre-recorded response for the generated short sales call: the
words and turn timings come from the call generator's ground truth (each word gets a
share of its turn proportional to its length), the envelope (metadata, channels,
alternatives, utterances, punctuated words, speaker confidences) follows Deepgram's
API reference. One file for a mono request with ``diarize=true`` and one for a stereo
request with ``multichannel=true``.

    .venv/bin/python services/transcribe/tests/make_deepgram_fixtures.py
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from clashtor_callgen import generate_call, short_script

FIXTURES = Path(__file__).parent / "fixtures"
MODEL_UUID = "3b3aabe4-608a-46ac-9585-7960a25daf1a"


def _words(turn: Any, speaker: int) -> list[dict[str, Any]]:
    tokens = turn.text.split()
    weights = [len(t) + 2 for t in tokens]
    span = turn.end - turn.start
    cursor = turn.start
    words = []
    for index, (token, weight) in enumerate(zip(tokens, weights, strict=True)):
        length = span * weight / sum(weights)
        words.append(
            {
                "word": re.sub(r"[^\w']", "", token).lower(),
                "start": round(cursor, 3),
                "end": round(cursor + length * 0.9, 3),
                "confidence": round(0.97 - 0.01 * (index % 5), 3),
                "speaker": speaker,
                "speaker_confidence": 0.81,
                "punctuated_word": token,
            }
        )
        cursor += length
    return words


def build(layout: str) -> dict[str, Any]:
    call = generate_call(short_script(), layout=layout, fmt="wav")  # type: ignore[arg-type]
    multichannel = layout == "stereo"
    utterances = []
    channel_words: dict[int, list[dict[str, Any]]] = {}
    for index, turn in enumerate(call.turns):
        channel = turn.speaker if multichannel else 0
        # Multichannel responses label every channel's speaker 0; diarized mono ones 0/1.
        speaker = 0 if multichannel else turn.speaker
        words = _words(turn, speaker)
        channel_words.setdefault(channel, []).extend(words)
        utterances.append(
            {
                "start": words[0]["start"],
                "end": words[-1]["end"],
                "confidence": 0.95,
                "channel": channel,
                "transcript": turn.text,
                "words": words,
                "speaker": speaker,
                "id": f"5d1c5c1e-0000-4000-8000-{index:012d}",
            }
        )
    channels = []
    for channel in range(call.channels):
        words = channel_words.get(channel, [])
        channels.append(
            {
                "alternatives": [
                    {
                        "transcript": " ".join(w["punctuated_word"] for w in words),
                        "confidence": 0.96,
                        "words": words,
                    }
                ]
            }
        )
    return {
        "metadata": {
            "transaction_key": "deprecated",
            "request_id": f"a0b1c2d3-0000-4000-8000-00000000000{1 if multichannel else 2}",
            "sha256": hashlib.sha256(call.text.encode()).hexdigest(),
            "created": "2026-01-15T10:12:44.123Z",
            "duration": round(call.duration, 3),
            "channels": call.channels,
            "models": [MODEL_UUID],
            "model_info": {
                MODEL_UUID: {"name": "general-nova-3", "version": "2025-01-15.0", "arch": "nova-3"}
            },
        },
        "results": {"channels": channels, "utterances": utterances},
    }


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for layout, name in (
        ("mono", "deepgram_diarized_mono.json"),
        ("stereo", "deepgram_multichannel.json"),
    ):
        (FIXTURES / name).write_text(json.dumps(build(layout), indent=1) + "\n")
        print("wrote", FIXTURES / name)


if __name__ == "__main__":
    main()
