"""The Deepgram adapter through the real deepgram-sdk against the local stub."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from clashtor_callgen import make_corrupt_audio
from transcribe.adapters.deepgram_engine import DeepgramConfig, DeepgramEngine, normalize_response
from transcribe.adapters.engines import TranscriptionConfig, make_engine, transcribe
from transcribe.adapters.whisper_engine import WhisperEngine
from transcribe.domain.errors import TranscriptionProviderError, UndecodableAudio
from transcribe.domain.ports import TranscriptionEngine
from transcribe.domain.quality import speaker_attribution, word_error_rate


@pytest.fixture
async def engine_for(deepgram_stub) -> AsyncIterator[Callable[..., DeepgramEngine]]:
    """Build engines pointed at the stub (fast retries); all closed after the test."""
    engines: list[DeepgramEngine] = []

    def build(**overrides: Any) -> DeepgramEngine:
        settings = {**deepgram_stub.engine_config(), **overrides}
        engines.append(DeepgramEngine(DeepgramConfig(**settings)))
        return engines[-1]

    yield build
    for engine in engines:
        await engine.aclose()


async def test_a_mono_call_is_sent_for_diarization_and_normalized(
    deepgram_stub, engine_for, short_mono_call
):
    transcript = await engine_for().transcribe(short_mono_call.path)

    [request] = deepgram_stub.requests
    assert request.headers["authorization"] == f"Token {deepgram_stub.api_key}"
    assert request.body_size == short_mono_call.path.stat().st_size
    assert request.query["model"] == "nova-3"
    assert request.query["diarize"] == "true"
    assert request.query["utterances"] == "true"
    assert request.query["smart_format"] == "true"
    assert request.query["multichannel"] == "false"

    assert transcript.engine == "deepgram" and transcript.model == "nova-3"
    assert transcript.channels == 1 and transcript.speakers == 2
    assert transcript.duration == pytest.approx(short_mono_call.duration, abs=0.01)
    assert [u.speaker for u in transcript.utterances] == [t.speaker for t in short_mono_call.turns]
    assert all(u.channel is None for u in transcript.utterances)
    assert transcript.utterances[1].words[0].word == "Our"  # punctuated_word wins
    assert word_error_rate(short_mono_call.text, transcript.text) == 0.0
    words = [(w.word, w.speaker) for w in transcript.words]
    assert speaker_attribution(short_mono_call.words(), words).accuracy == 1.0


async def test_a_stereo_call_is_sent_multichannel_and_speaker_is_the_channel(
    deepgram_stub, engine_for, short_stereo_call
):
    transcript = await engine_for().transcribe(short_stereo_call.read_bytes())

    [request] = deepgram_stub.requests
    assert request.query["multichannel"] == "true"
    assert request.query["diarize"] == "false"
    assert transcript.channels == 2 and transcript.speakers == 2
    assert [(u.speaker, u.channel) for u in transcript.utterances] == [
        (t.speaker, t.speaker) for t in short_stereo_call.turns
    ]


async def test_a_503_is_retried_and_the_second_answer_is_used(
    deepgram_stub, engine_for, short_mono_call
):
    deepgram_stub.reset("fail_once_503")
    transcript = await engine_for().transcribe(short_mono_call.path)
    assert [r.status for r in deepgram_stub.requests] == [503, 200]
    assert transcript.word_count == len(short_mono_call.words())


async def test_a_lasting_rate_limit_becomes_a_clear_provider_error(
    deepgram_stub, engine_for, short_mono_call
):
    deepgram_stub.reset("always_429")
    with pytest.raises(TranscriptionProviderError, match="rate limit") as caught:
        await engine_for(max_attempts=3).transcribe(short_mono_call.path)
    assert caught.value.status_code == 429
    assert [r.status for r in deepgram_stub.requests] == [429, 429, 429]


async def test_a_wrong_api_key_fails_at_once_without_retries(
    deepgram_stub, engine_for, short_mono_call
):
    with pytest.raises(TranscriptionProviderError, match="API key") as caught:
        await engine_for(api_key="wrong-key").transcribe(short_mono_call.path)
    assert caught.value.status_code == 401
    assert len(deepgram_stub.requests) == 1


async def test_corrupt_audio_never_reaches_the_provider(deepgram_stub, engine_for):
    with pytest.raises(UndecodableAudio):
        await engine_for().transcribe(make_corrupt_audio("truncated", "mp3"))
    with pytest.raises(UndecodableAudio):
        await engine_for().transcribe(make_corrupt_audio("text", "mp3").read_bytes())
    assert deepgram_stub.requests == []


async def test_audio_the_provider_cannot_decode_is_undecodable_not_retried(
    deepgram_stub, engine_for, short_mono_call
):
    deepgram_stub.reset("bad_audio_400")
    with pytest.raises(UndecodableAudio, match="corrupt or unsupported"):
        await engine_for().transcribe(short_mono_call.path)
    assert len(deepgram_stub.requests) == 1


async def test_an_unreachable_provider_is_a_provider_error(engine_for, short_mono_call):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    engine = engine_for(base_url="http://127.0.0.1:9", timeout=2.0, max_attempts=2)
    with pytest.raises(TranscriptionProviderError, match="could not be reached"):
        await engine.transcribe(short_mono_call.path)


def test_diarized_labels_are_renumbered_by_first_appearance(deepgram_stub):
    from deepgram.types.listen_v1response import ListenV1Response

    raw = dict(deepgram_stub.responses["mono"])
    utterances = [dict(u) for u in raw["results"]["utterances"]]
    for u in utterances:  # Deepgram may call the first voice "1"
        u["speaker"] = 1 - u["speaker"]
        u["words"] = [dict(w, speaker=u["speaker"]) for w in u["words"]]
    raw["results"] = dict(raw["results"], utterances=utterances)
    transcript = normalize_response(
        ListenV1Response.model_validate(raw), model="nova-3", language="en", multichannel=False
    )
    assert [u.speaker for u in transcript.utterances] == [0, 1, 0, 1]


async def test_the_factory_picks_deepgram_only_when_a_key_is_configured(deepgram_stub):
    local = make_engine(TranscriptionConfig())
    remote = make_engine(
        TranscriptionConfig(deepgram=DeepgramConfig(api_key="key", base_url=deepgram_stub.base_url))
    )
    assert isinstance(local, WhisperEngine) and local.name == "local"
    assert isinstance(remote, DeepgramEngine) and remote.name == "deepgram"
    assert isinstance(local, TranscriptionEngine) and isinstance(remote, TranscriptionEngine)
    await remote.aclose()


async def test_the_one_shot_helper_uses_the_configured_provider(deepgram_stub, short_mono_call):
    deepgram = DeepgramConfig(
        api_key=deepgram_stub.api_key, base_url=deepgram_stub.base_url, language="auto"
    )
    config = TranscriptionConfig(deepgram=deepgram)
    transcript = await transcribe(short_mono_call.read_bytes(), config=config)
    assert transcript.engine == "deepgram"
    [request] = deepgram_stub.requests
    assert request.query.get("detect_language") == "true"  # the service's default, auto
