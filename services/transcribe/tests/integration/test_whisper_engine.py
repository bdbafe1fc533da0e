"""The local engine end to end: faster-whisper tiny.en (bundled) on generated calls.

Bounds hold a margin over what was measured on these clips (see measure_quality.py):
short call WER 0.043 stereo and mono; speaker attribution 1.000 for both.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from clashtor_common.testing.callgen import generate_call, make_corrupt_audio, short_script
from transcribe.adapters.engines import TranscriptionConfig, transcribe
from transcribe.adapters.whisper_engine import WhisperConfig, WhisperEngine, load_model
from transcribe.domain.errors import UndecodableAudio
from transcribe.domain.quality import speaker_attribution, word_error_rate

MAX_WER = 0.15
MIN_STEREO_ATTRIBUTION = 0.95
MIN_MONO_ATTRIBUTION = 0.90


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    return WhisperEngine()


async def test_a_stereo_call_is_transcribed_per_channel(engine, short_stereo_call):
    transcript = await engine.transcribe(short_stereo_call.path)

    assert transcript.engine == "local" and transcript.model == "tiny.en"
    assert transcript.channels == 2 and transcript.speakers == 2
    assert transcript.duration == pytest.approx(short_stereo_call.duration, abs=0.05)
    assert word_error_rate(short_stereo_call.text, transcript.text) < MAX_WER
    words = [(w.word, w.speaker) for w in transcript.words]
    attribution = speaker_attribution(short_stereo_call.words(), words, best_permutation=False)
    assert attribution.accuracy >= MIN_STEREO_ATTRIBUTION
    assert all(u.channel == u.speaker for u in transcript.utterances)
    # Utterances follow the turns in time order, alternating channels.
    assert [u.speaker for u in transcript.utterances][:4] == [0, 1, 0, 1]


async def test_a_mono_call_is_transcribed_and_diarized(engine, short_mono_call):
    transcript = await engine.transcribe(short_mono_call.read_bytes())

    assert transcript.channels == 1 and transcript.speakers == 2
    assert all(u.channel is None for u in transcript.utterances)
    assert word_error_rate(short_mono_call.text, transcript.text) < MAX_WER
    words = [(w.word, w.speaker) for w in transcript.words]
    attribution = speaker_attribution(short_mono_call.words(), words)
    assert attribution.accuracy >= MIN_MONO_ATTRIBUTION
    assert transcript.utterances[0].speaker == 0


async def test_a_video_upload_is_transcribed_from_its_audio_track():
    call = generate_call(short_script(), layout="stereo", fmt="mp4")
    transcript = await transcribe(call.path, config=TranscriptionConfig())
    assert transcript.engine == "local"
    assert word_error_rate(call.text, transcript.text) < MAX_WER


async def test_corrupt_audio_raises_undecodable_audio_at_once(engine):
    for kind in ("truncated", "random", "text", "empty"):
        with pytest.raises(UndecodableAudio):
            await engine.transcribe(make_corrupt_audio(kind, "mp3"))


async def test_inference_runs_off_the_event_loop(engine, short_stereo_call):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await engine.transcribe(short_stereo_call.path)
    finally:
        task.cancel()
    assert ticks >= 3  # the loop kept running while whisper worked


def test_the_model_is_loaded_once_per_process_even_under_concurrency():
    config = WhisperConfig()
    models = []
    threads = [threading.Thread(target=lambda: models.append(load_model(config))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(m) for m in models}) == 1
    assert load_model(config) is models[0]


async def test_silence_gives_an_empty_transcript_not_an_error(engine, tmp_path):
    import numpy as np

    from clashtor_common.testing.callgen import encode

    path = encode(np.zeros((1, 16_000 * 3), np.float32), 16_000, tmp_path / "quiet.wav", "wav")
    transcript = await engine.transcribe(path)
    assert transcript.utterances == [] and transcript.speakers == 0
    assert transcript.duration == pytest.approx(3.0, abs=0.01)
