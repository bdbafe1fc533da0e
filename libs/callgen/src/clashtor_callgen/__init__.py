"""Test-call generator: two-speaker sales calls with known words, speakers and timings.

Used by transcribe, score, e2e tests and the benchmark. Everything is made here with
espeak-ng, sox and PyAV; nothing is downloaded.

    call = generate_call(short_script(), layout="mono", fmt="mp3")
    call.path, call.truth_path, call.turns  # audio, ground truth JSON, TimedTurn list

    long = generate_call(layout="stereo", fmt="wav", target_duration=300)  # ~5 min
    bad = make_corrupt_audio("truncated", fmt="mp3")
"""

from clashtor_callgen.corrupt import (
    CORRUPT_KINDS,
    CorruptKind,
    corrupt_audio_bytes,
    make_corrupt_audio,
)
from clashtor_callgen.encode import FORMATS, AudioFormat, encode
from clashtor_callgen.generate import (
    GeneratedCall,
    Layout,
    TimedTurn,
    cache_dir,
    generate_call,
    load_ground_truth,
)
from clashtor_callgen.lying import zero_timestamp_opus_mkv
from clashtor_callgen.script import (
    FOLLOW_UP_TURNS,
    PROSPECT,
    REP,
    SALES_DISCOVERY_CALL,
    Turn,
    default_script,
    short_script,
)
from clashtor_callgen.synth import (
    DEFAULT_VOICES,
    SAMPLE_RATE,
    SynthesisError,
    Voice,
    sox_signal,
    synthesize,
)

__all__ = [
    "CORRUPT_KINDS",
    "DEFAULT_VOICES",
    "FOLLOW_UP_TURNS",
    "FORMATS",
    "PROSPECT",
    "REP",
    "SALES_DISCOVERY_CALL",
    "SAMPLE_RATE",
    "AudioFormat",
    "CorruptKind",
    "GeneratedCall",
    "Layout",
    "SynthesisError",
    "TimedTurn",
    "Turn",
    "Voice",
    "cache_dir",
    "corrupt_audio_bytes",
    "default_script",
    "encode",
    "generate_call",
    "load_ground_truth",
    "make_corrupt_audio",
    "short_script",
    "sox_signal",
    "synthesize",
    "zero_timestamp_opus_mkv",
]
