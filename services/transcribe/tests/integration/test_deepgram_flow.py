"""The service on Deepgram: the real deepgram-sdk against the local stub, through the bus.

The engine's tenacity retries absorb a passing 503; a rate limit that outlasts them
fails the call with ``provider_failed`` (the failure is committed as the answer, not
retried by the bus).
"""

from __future__ import annotations

from typing import Any

import pytest

from clashtor_common.events.transcript import Transcript
from transcribe.domain.outcomes import CallStatus
from transcribe.settings import TranscribeSettings

from .support import measure, new_org, record_of, transcribe_settings


@pytest.fixture(scope="module")
def settings(
    kafka_bootstrap: str, database_url: str, s3_settings: dict[str, Any], _deepgram_server: Any
) -> TranscribeSettings:
    engine = {f"deepgram_{name}": value for name, value in _deepgram_server.engine_config().items()}
    return transcribe_settings(kafka_bootstrap, database_url, s3_settings, **engine)


async def _mono_call_in_mode(stub: Any, uploader: Any, call: Any, mode: str) -> tuple[str, str]:
    """Upload the generated MP3 mono call with the stub answering in ``mode``; the new
    organization and the call's id."""
    stub.reset(mode)
    org = new_org()
    upload = await uploader.upload(org, call.read_bytes(), audio_format="mp3", channels=1)
    return org, upload.data["call_id"]


async def test_a_passing_503_is_retried_and_the_call_is_transcribed(
    deepgram_stub, uploader, transcribed, client, short_mono_call
):
    org, call_id = await _mono_call_in_mode(
        deepgram_stub, uploader, short_mono_call, "fail_once_503"
    )
    announced = await transcribed.wait_for_data(call_id=call_id)

    assert [r.status for r in deepgram_stub.requests] == [503, 200]
    assert announced.data["engine"] == "deepgram" and announced.data["model"] == "nova-3"
    transcript = Transcript.model_validate((await client.transcript(org, call_id)).json())
    wer, accuracy = measure(short_mono_call, transcript, "Deepgram stub (mono)")
    assert wer == 0.0 and accuracy == 1.0


async def test_a_stereo_call_goes_multichannel_with_speaker_as_channel(
    deepgram_stub, uploader, transcribed, client, short_stereo_call
):
    org = new_org()
    upload = await uploader.upload(org, short_stereo_call.read_bytes(), channels=2)
    await transcribed.wait_for_data(call_id=upload.data["call_id"])

    [request] = deepgram_stub.requests
    assert request.query["multichannel"] == "true"
    transcript = Transcript.model_validate(
        (await client.transcript(org, upload.data["call_id"])).json()
    )
    assert [(u.speaker, u.channel) for u in transcript.utterances] == [
        (t.speaker, t.speaker) for t in short_stereo_call.turns
    ]


async def test_a_lasting_rate_limit_fails_the_call_with_provider_failed(
    deepgram_stub, uploader, failed, ctx, short_mono_call
):
    _, call_id = await _mono_call_in_mode(deepgram_stub, uploader, short_mono_call, "always_429")
    event = await failed.wait_for_data(call_id=call_id)

    assert event.data["code"] == "provider_failed"
    assert "429" in event.data["reason"]
    assert [r.status for r in deepgram_stub.requests] == [429, 429, 429]
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.FAILED
    assert record.failure_code == "provider_failed"
