"""call-uploaded → call-transcribed on the real broker, S3 and database, local engine.

Each test plays ingest: an encrypted generated call in ingest's bucket, named by bucket
and key in ``call-uploaded`` (transcribe reads it with its own S3 client); then reads what transcribe
announced on the topic and serves on its internal API.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

from clashtor_callgen import GeneratedCall, make_corrupt_audio
from clashtor_common.crypto import KeyDestroyed, Keyring, data_key_id
from clashtor_common.events import ObjectRef, Topic
from clashtor_common.events.transcript import Transcript
from clashtor_common.keyservice import DataKeyClient
from clashtor_common.testing.waiting import wait_until
from transcribe.adapters.objects import transcript_aad, transcript_key
from transcribe.context import TranscribeContext
from transcribe.domain.outcomes import CallStatus

from .support import (
    TopicReader,
    TranscribeClient,
    count_records,
    handled,
    measure,
    new_org,
    participant,
    raw_database_bytes,
    record_of,
    replayed,
)

MAX_WER = 0.15
MIN_STEREO_ATTRIBUTION = 0.95
MIN_MONO_ATTRIBUTION = 0.90
ORG_IN_ENGLISH = "org-speaks-english"


@pytest.fixture(scope="module")
def settings(settings):
    """The module's settings, with one organization whose calls are set to English."""
    return settings.model_copy(update={"org_languages": {ORG_IN_ENGLISH: "en"}})


async def _transcribe(up, reader, call: GeneratedCall, org: str, **kwargs):
    upload = await up.upload(
        org,
        call.read_bytes(),
        audio_format=call.format,
        channels=call.channels,
        duration=call.duration,
        **kwargs,
    )
    announced = await reader.wait_for_data(call_id=upload.data["call_id"])
    return upload, announced


def _words_of(text: str) -> set[bytes]:
    """Distinctive words (6+ letters) of a text, as the bytes a scan would find."""
    return {w.encode() for w in re.findall(r"[A-Za-z]{6,}", text)}


async def test_a_stereo_call_is_transcribed_announced_and_served(
    uploader, transcribed, progressed, client, ctx, short_stereo_call
):
    org = new_org()
    rep, customer = participant("rep", uploader.fp("rep@seller.test")), participant("customer")
    upload, announced = await _transcribe(
        uploader, transcribed, short_stereo_call, org, participants=[rep, customer]
    )
    call_id = upload.data["call_id"]

    assert announced.org_id == org and announced.key == call_id
    assert announced.source == "transcribe"
    data = announced.data
    assert data["engine"] == "local" and data["model"] == "base" and data["language"] == "en"
    assert data["channels"] == 2 and data["speakers"] == 2
    assert data["duration"] == pytest.approx(short_stereo_call.duration, abs=0.05)
    assert data["participants"] == [rep.model_dump(mode="json"), customer.model_dump(mode="json")]

    # Progress went out before the result: from 0 (started) up to 100, never back.
    await progressed.wait_for_data(call_id=call_id, percent=100)
    steps = progressed.matching(call_id=call_id)
    percents = [e.data["percent"] for e in steps]
    assert percents[0] == 0 and percents[-1] == 100 and percents == sorted(set(percents))
    assert {e.data["stage"] for e in steps} == {"transcribe"}
    assert {e.data["uploader_id"] for e in steps} == {upload.data["uploader_id"]}

    response = await client.transcript(org, call_id)
    assert response.status_code == 200
    transcript = Transcript.model_validate(response.json())
    assert data["word_count"] == transcript.word_count > 0

    wer, accuracy = measure(
        short_stereo_call, transcript, "stereo through the service", best_permutation=False
    )
    assert wer < MAX_WER
    assert accuracy >= MIN_STEREO_ATTRIBUTION

    # The event names a claim check (bucket and key): ciphertext bound to this call.
    # It names its data key but never carries it: a reader asks transcribe for it, as
    # transcribe asked the ingest stand-in for the audio's; the master key alone opens nothing.
    assert set(data["transcript"]) == {"bucket", "key"}
    assert f"call:{call_id}" in uploader.key_requests
    blob = await ctx.objects.read(ObjectRef(**data["transcript"]))
    assert data_key_id(blob) == data["transcript_key_id"] == f"call:{call_id}"
    assert "transcript_key" not in data and "wrapped" not in json.dumps(data)
    keys = await _reader(client, ctx).fetch(org, data["transcript_key_id"])
    plain = ctx.keyring.decrypt(blob, aad=transcript_aad(call_id), keys=keys)
    assert Transcript.model_validate_json(plain) == transcript
    with pytest.raises(KeyDestroyed):
        ctx.keyring.decrypt(blob, aad=transcript_aad(call_id))
    # another organization's service, or a person, gets no key
    with pytest.raises(KeyDestroyed):
        await _reader(client, ctx).fetch(new_org(), data["transcript_key_id"])
    as_user = await client.http.get(
        f"/internal/data-keys/call:{call_id}", headers=client.headers(org, role="admin")
    )
    assert as_user.status_code == 403


async def test_a_mono_call_is_diarized_into_two_speakers(
    uploader, transcribed, client, short_mono_call
):
    org = new_org()
    upload, announced = await _transcribe(uploader, transcribed, short_mono_call, org)
    assert announced.data["channels"] == 1 and announced.data["speakers"] == 2

    transcript = Transcript.model_validate(
        (await client.transcript(org, upload.data["call_id"])).json()
    )
    wer, accuracy = measure(short_mono_call, transcript, "mono through the service")
    assert wer < MAX_WER
    assert accuracy >= MIN_MONO_ATTRIBUTION
    assert all(u.channel is None for u in transcript.utterances)


async def test_the_transcript_is_never_stored_or_announced_in_plain_text(
    uploader, transcribed, client, ctx, database_url, short_stereo_call
):
    org = new_org()
    upload, announced = await _transcribe(uploader, transcribed, short_stereo_call, org)
    call_id = upload.data["call_id"]
    text = Transcript.model_validate((await client.transcript(org, call_id)).json()).text
    secrets = _words_of(text) | _words_of(short_stereo_call.text)
    assert len(secrets) >= 5

    stored = await raw_database_bytes(ctx)
    s3_object = await ctx.objects.store.get_bytes(transcript_key(org, call_id))
    on_topic = str(announced).encode()
    for place, raw in (("database", stored), ("S3 object", s3_object), ("event", on_topic)):
        leaked = sorted(w.decode() for w in secrets if w in raw or w.lower() in raw.lower())
        assert leaked == [], f"transcript words readable in the {place}: {leaked}"
    record = await record_of(ctx, call_id)
    assert record is not None and record.transcript_enc == s3_object
    assert record.transcript_enc[:4] == b"CTR2"  # names its key-table key, carries no key
    assert data_key_id(record.transcript_enc) == f"call:{call_id}"


async def test_a_duplicate_or_replayed_upload_yields_one_transcript(
    uploader, transcribed, ctx, short_stereo_call
):
    org = new_org()
    _, url = await uploader.put_recording(
        org, call_id := str(uuid.uuid4()), short_stereo_call.read_bytes()
    )
    first = uploader.call_uploaded(org, call_id, url, channels=2)
    await uploader.send(first)
    await uploader.send(first)  # the same event twice (a redelivery)
    twin = await uploader.send(replayed(first))  # the same upload as a new event

    await transcribed.wait_for_data(call_id=call_id)
    await wait_until(lambda: handled(ctx, twin))
    await transcribed.drain()
    assert len(transcribed.matching(call_id=call_id)) == 1
    assert await count_records(ctx, org) == 1


async def test_corrupt_audio_fails_the_call_with_undecodable_audio(uploader, failed, client, ctx):
    org = new_org()
    corrupt = make_corrupt_audio("truncated", "mp3").read_bytes()
    upload = await uploader.upload(org, corrupt, audio_format="mp3")
    call_id = upload.data["call_id"]

    event = await failed.wait_for_data(call_id=call_id)
    assert event.data["stage"] == "transcribe"
    assert event.data["code"] == "undecodable_audio"
    assert event.data["uploader_id"] == upload.data["uploader_id"]  # whom to tell
    assert event.data["reason"]
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.FAILED
    response = await client.transcript(org, call_id)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "transcription_failed"


def _reader(client: TranscribeClient, ctx: TranscribeContext) -> DataKeyClient:
    """What score uses to ask this transcribe for a transcript's key."""
    return DataKeyClient(
        str(client.http.base_url),
        identity_secret=client.settings.identity_secret.get_secret_value(),
        keyring=ctx.keyring,
        service="score",
    )


async def test_a_recording_whose_key_ingest_destroyed_fails_as_erased_not_dead_lettered(
    uploader, failed, ctx, kafka_bootstrap
):
    org = new_org()
    call_id = str(uuid.uuid4())
    _, url = await uploader.put_recording(org, call_id, b"RIFF....WAVE")
    event = uploader.call_uploaded(org, call_id, url)  # names call:<id>
    uploader.destroy_key(call_id)  # erased at ingest; a backup of the object is still there

    await uploader.send(event)
    gone = await failed.wait_for_data(call_id=call_id)
    assert gone.data["code"] == "audio_gone"
    assert f"call:{call_id}" in uploader.key_requests
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.FAILED
    dead = TopicReader(kafka_bootstrap, f"{Topic.CALL_UPLOADED.value}.dlq")
    await dead.start()
    try:
        await dead.drain()
        assert dead.matching(call_id=call_id) == []
    finally:
        await dead.stop()


async def test_a_recording_that_is_gone_fails_the_call_with_audio_gone(uploader, failed, ctx):
    org = new_org()
    call_id = str(uuid.uuid4())
    key, url = await uploader.put_recording(org, call_id, b"RIFF....WAVE")
    await uploader.store.delete(key)  # erased at ingest before transcribe got to it

    await uploader.send(uploader.call_uploaded(org, call_id, url))
    event = await failed.wait_for_data(call_id=call_id)
    assert event.data["code"] == "audio_gone"
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.FAILED


async def test_a_restricted_call_is_recorded_and_not_processed(
    uploader, transcribed, failed, client, ctx, short_stereo_call
):
    org = new_org()
    upload = await uploader.upload(org, short_stereo_call.read_bytes(), restricted=True)
    call_id = upload.data["call_id"]

    await wait_until(lambda: handled(ctx, upload))
    record = await record_of(ctx, call_id)
    assert record is not None and record.status == CallStatus.RESTRICTED
    assert record.transcript_enc is None and record.s3_key is None
    await transcribed.drain()
    await failed.drain()
    assert transcribed.matching(call_id=call_id) == failed.matching(call_id=call_id) == []
    response = await client.transcript(org, call_id)
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "processing_restricted",
    )


async def test_a_recording_under_an_unknown_key_is_dead_lettered(
    uploader, ctx, kafka_bootstrap, short_stereo_call
):
    org = new_org()
    call_id = str(uuid.uuid4())
    foreign = Keyring.from_config(f"other:{Keyring.generate_key()}")
    blob = foreign.encrypt(short_stereo_call.read_bytes())  # not even the stream format
    key = f"orgs/{org}/calls/{call_id}.audio.enc"
    await uploader.store.put_bytes(key, blob)
    upload = await uploader.send(uploader.call_uploaded(org, call_id, uploader.store.ref(key)))
    dead = TopicReader(kafka_bootstrap, f"{Topic.CALL_UPLOADED.value}.dlq")
    await dead.start()
    try:
        letter = await dead.wait_for_data(call_id=call_id)
    finally:
        await dead.stop()
    assert letter.id == upload.id
    assert await record_of(ctx, call_id) is None


async def test_another_organization_cannot_read_a_transcript(
    uploader, transcribed, client, short_stereo_call
):
    org = new_org()
    upload, _ = await _transcribe(uploader, transcribed, short_stereo_call, org, uploader="rep-1")
    call_id = upload.data["call_id"]

    other = await client.transcript(new_org(), call_id)
    unknown = await client.transcript(org, str(uuid.uuid4()))
    assert other.status_code == unknown.status_code == 404
    assert other.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_transcribed"

    own_rep = await client.transcript(org, call_id, user="rep-1", role="rep")
    other_rep = await client.transcript(org, call_id, user="rep-2", role="rep")
    manager = await client.transcript(org, call_id, user="boss", role="manager", team=("rep-1",))
    assert (own_rep.status_code, other_rep.status_code, manager.status_code) == (200, 404, 200)

    async with httpx.AsyncClient(base_url=str(client.http.base_url)) as bare:
        anonymous = await bare.get(f"/internal/transcripts/{call_id}")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "missing_identity"


async def test_a_transcript_answers_304_to_its_etag_and_only_to_who_may_read_it(
    uploader, transcribed, client, short_stereo_call
):
    """The gateway revalidates the transcripts of the call views it holds: a current ETag
    gets a bodiless 304, after the same checks as a full read."""
    org = new_org()
    upload, _ = await _transcribe(uploader, transcribed, short_stereo_call, org, uploader="rep-1")
    call_id = upload.data["call_id"]
    first = await client.transcript(org, call_id)
    etag = first.headers["etag"]
    assert first.status_code == 200 and first.json()["utterances"]

    def asking(org_id: str, **who: Any) -> dict[str, str]:
        return {**client.headers(org_id, **who), "If-None-Match": etag}

    path = f"/internal/transcripts/{call_id}"
    again = await client.http.get(path, headers=asking(org))
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    stale = await client.http.get(path, headers={**asking(org), "If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.json() == first.json()
    for refused in (asking(new_org()), asking(org, user="rep-2", role="rep")):
        assert (await client.http.get(path, headers=refused)).status_code == 404


async def test_the_language_comes_from_the_upload_then_the_organization_then_detection(
    uploader, transcribed, client, short_stereo_call
):
    sources = {}
    for org, language in ((new_org(), "en"), (ORG_IN_ENGLISH, None), (new_org(), None)):
        upload, announced = await _transcribe(
            uploader, transcribed, short_stereo_call, org, language=language
        )
        assert announced.data["language"] == "en"
        served = (await client.transcript(org, upload.data["call_id"])).json()
        sources[language or org] = served["language_source"]
    assert list(sources.values()) == ["upload", "organization", "detected"]
