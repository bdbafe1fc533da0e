"""POST/GET /internal/calls on the real S3, database and broker."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import av
import pytest

from clashtor_callgen import zero_timestamp_opus_mkv
from clashtor_common.crypto import KeyDestroyed, data_key_id
from clashtor_common.db import Database
from clashtor_common.events import ObjectRef
from clashtor_common.identity import Identity
from clashtor_common.s3 import S3Store
from ingest.adapters.object_store import EncryptedObjects
from ingest.adapters.tables import CallRecord
from ingest.context import IngestContext
from ingest.service_layer.quota import quota_status
from ingest.service_layer.uploads import accept_upload
from ingest.settings import IngestSettings

from ..audio_samples import FORMATS, call_bytes, corrupt_audio_bytes, sample_call, tone_bytes
from .support import (
    IngestClient,
    audio_keys,
    call_keys,
    form_body,
    fp,
    new_org,
    org_objects,
    org_rows,
    outbox_size,
    pending_multipart_uploads,
    read_topic,
    stored_call,
    wait_until,
)

EXPECTED_STORED = {
    "wav": ("wav", "audio/wav"),
    "mp3": ("mp3", "audio/mpeg"),
    "ogg": ("ogg", "audio/ogg"),
    "flac": ("flac", "audio/flac"),
    "m4a": ("m4a", "audio/mp4"),
    "webm": ("webm", "audio/webm"),
    "mp4": ("m4a", "audio/mp4"),
}


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_accepted_format_is_probed_stored_and_announced(
    client: IngestClient, ctx: IngestContext, fmt: str
) -> None:
    org = new_org()
    call = sample_call(fmt)
    response = await client.upload(org, call.read_bytes(), filename="recording.bin")
    assert response.status_code == 202, response.text
    body = response.json()
    stored, content_type = EXPECTED_STORED[fmt]
    assert (body["format"], body["content_type"], body["source_format"]) == (
        stored,
        content_type,
        fmt,
    )
    assert body["status"] == "uploaded"
    assert body["channels"] == call.channels
    assert abs(body["duration"] - call.duration) < 0.15
    assert body["sample_rate"] == (48000 if fmt in ("ogg", "webm") else call.sample_rate)
    assert await org_rows(ctx, org) == (1, 0)
    assert len(await org_objects(ctx, org)) == 1


async def test_a_video_upload_is_stored_as_its_audio_track_only(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    original = call_bytes("mp4")
    response = await client.upload(org, original)
    assert response.status_code == 202
    audio = await client.http.get(
        f"/internal/calls/{response.json()['id']}/audio", headers=client.headers(org)
    )
    assert audio.headers["content-type"] == "audio/mp4"
    assert audio.content != original
    assert response.json()["upload_bytes"] == len(original)
    assert response.json()["size_bytes"] == len(audio.content)
    with av.open(io.BytesIO(audio.content)) as container:
        assert len(container.streams.video) == 0
        assert len(container.streams.audio) == 1


BAD_INPUTS: dict[str, tuple[dict[str, Any], int, str]] = {
    "random bytes": ({"data": corrupt_audio_bytes("random")}, 415, "unsupported_media_type"),
    "text renamed to mp3": (
        {"data": corrupt_audio_bytes("text"), "filename": "notes.mp3"},
        415,
        "unsupported_media_type",
    ),
    "empty file": ({"data": b""}, 400, "empty_file"),
    "truncated mp3": (
        {"data": corrupt_audio_bytes("truncated", "mp3")},
        422,
        "undecodable_audio",
    ),
    "truncated m4a": (
        {"data": corrupt_audio_bytes("truncated", "m4a")},
        422,
        "undecodable_audio",
    ),
    "wav header only": ({"data": call_bytes("wav")[:44]}, 422, "undecodable_audio"),
    "participants not json": (
        {"data": tone_bytes(1.0, freq=300), "participants": "[{name: 'x'"},
        422,
        "invalid_participants",
    ),
    "participants nested past the JSON parser's depth": (
        {"data": tone_bytes(1.0, freq=305), "participants": "[" * 5000},
        422,
        "invalid_participants",
    ),
    "participant without role": (
        {"data": tone_bytes(1.0, freq=310), "participants": [{"name": "x", "email": "x@y.io"}]},
        422,
        "invalid_participants",
    ),
    "title too long": (
        {"data": tone_bytes(1.0, freq=320), "title": "t" * 501},
        422,
        "invalid_field",
    ),
    "51 participants": (
        {
            "data": tone_bytes(1.0, freq=330),
            "participants": [{"name": f"p{i}", "role": "customer"} for i in range(51)],
        },
        422,
        "invalid_participants",
    ),
    "participant name too long": (
        {"data": tone_bytes(1.0, freq=340), "participants": [{"name": "n" * 201, "role": "rep"}]},
        422,
        "invalid_participants",
    ),
    "participant email too long": (
        {
            "data": tone_bytes(1.0, freq=350),
            "participants": [{"email": "e" * 243 + "@example.com", "role": "rep"}],
        },
        422,
        "invalid_participants",
    ),
    "unknown language": (
        {"data": tone_bytes(1.0, freq=360), "language": "xx"},
        422,
        "invalid_field",
    ),
    "language name, not code": (
        {"data": tone_bytes(1.0, freq=370), "language": "english"},
        422,
        "invalid_field",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_input_gets_its_status_and_leaves_nothing_behind(
    client: IngestClient, ctx: IngestContext, case: str
) -> None:
    kwargs, status, code = BAD_INPUTS[case]
    org = new_org()
    events_before = await outbox_size(ctx, org)
    data = kwargs.pop("data")
    response = await client.upload(org, data, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert await org_rows(ctx, org) == (0, 0)
    assert await org_objects(ctx, org) == []
    assert not [k for k in await pending_multipart_uploads(ctx) if org in k]
    assert await outbox_size(ctx, org) == events_before


async def test_uploads_at_exactly_the_gateways_documented_limits_are_accepted(
    client: IngestClient,
) -> None:
    """``POST /v1/calls`` documents title ≤ 500, ≤ 50 participants, name ≤ 200 and email
    ≤ 254 characters: ingest takes everything up to those limits."""
    org = new_org()
    email = "e" * 242 + "@example.com"
    people = [{"name": "n" * 200, "email": email, "role": "rep"}] + [
        {"name": f"Customer {i}", "role": "customer"} for i in range(49)
    ]
    assert len(email) == 254 and len(people) == 50
    response = await client.upload(
        org, tone_bytes(1.0, freq=360), title="t" * 500, participants=people
    )
    assert response.status_code == 202, response.text
    call = response.json()
    assert call["title"] == "t" * 500 and len(call["participants"]) == 50
    assert call["participants"][0]["name"] == "n" * 200
    assert call["participants"][0]["email"] == email


async def test_a_request_without_a_file_part_or_not_multipart_is_a_400(
    client: IngestClient,
) -> None:
    org = new_org()
    no_file = await client.http.post(
        "/internal/calls",
        data={"title": "x"},
        files={"attachment": ("a.txt", b"hello", "text/plain")},
        headers=client.headers(org),
    )
    assert no_file.status_code == 400
    assert "'file'" in no_file.json()["error"]["message"]
    as_json = await client.http.post(
        "/internal/calls", json={"file": "x"}, headers=client.headers(org)
    )
    assert as_json.status_code == 400


async def test_an_upload_without_identity_is_refused(client: IngestClient) -> None:
    response = await client.http.post(
        "/internal/calls", files={"file": ("a.wav", tone_bytes(1.0), "audio/wav")}
    )
    assert response.status_code == 401


async def test_the_same_bytes_twice_return_the_existing_call_and_store_one_copy(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    data = tone_bytes(2.0, freq=500)
    first = await client.upload(org, data, title="first")
    again = await client.upload(org, data, title="second", filename="other-name.wav")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "first"
    assert await org_rows(ctx, org) == (1, 0)
    assert len(await org_objects(ctx, org)) == 1

    other_org = new_org()
    elsewhere = await client.upload(other_org, data)
    assert elsewhere.status_code == 202, "deduplication never crosses organizations"
    assert elsewhere.json()["id"] != first.json()["id"]


async def test_racing_uploads_of_the_same_bytes_make_one_call(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    data = tone_bytes(3.0, freq=620)
    responses = await asyncio.gather(*(client.upload(org, data) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [200, 200, 202]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await org_rows(ctx, org) == (1, 0)
    assert len(await org_objects(ctx, org)) == 1


async def test_a_duplicate_of_a_call_the_uploader_may_not_see_is_a_new_call_of_theirs(
    client: IngestClient, ctx: IngestContext
) -> None:
    """Issue 11, hole 6: never the other call's title, participants or uploader."""
    org = new_org()
    data = tone_bytes(2.0, freq=4100)
    people = [{"name": "Secret Customer", "email": "secret@buyer.example", "role": "customer"}]
    original = await client.upload(
        org, data, title="Board deal", participants=people, user="rep-a", role="rep"
    )
    assert original.status_code == 202
    mine = await client.upload(org, data, title="Mine", user="rep-b", role="rep")
    assert mine.status_code == 202, "answered as a new upload would be"
    body = mine.json()
    assert body["id"] != original.json()["id"]
    assert (body["title"], body["participants"], body["uploader_id"]) == ("Mine", [], "rep-b")
    assert "Board deal" not in mine.text and "secret@buyer.example" not in mine.text

    # Duplicates of calls the uploader can see still answer with the existing call.
    again = await client.upload(org, data, user="rep-b", role="rep")
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    admin = await client.upload(org, data, user="boss", role="admin")
    assert (admin.status_code, admin.json()["id"]) == (200, original.json()["id"])
    manager = await client.upload(org, data, user="mgr", role="manager")
    assert manager.status_code == 202, "a manager outside rep-a's team cannot see it either"
    assert await org_rows(ctx, org) == (3, 1)


async def test_the_length_is_measured_by_decoding_and_capped(
    client: IngestClient, ctx: IngestContext, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11, hole 3: packet timestamps all 0 no longer make 160 s count as 0.02 s."""
    org = new_org()
    lying = zero_timestamp_opus_mkv(tmp_path / "lying.mkv", 160).read_bytes()
    accepted = await client.upload(org, lying)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["duration"] == pytest.approx(160, abs=0.1)
    quota = (await client.http.get("/internal/quota", headers=client.headers(org))).json()
    assert quota["used_minutes"] == pytest.approx(160 / 60, abs=0.01)

    monkeypatch.setattr(ctx.settings, "max_call_minutes", 2.0)
    longer = zero_timestamp_opus_mkv(tmp_path / "longer.mkv", 170, freq=330).read_bytes()
    refused = await client.upload(org, longer)
    assert refused.status_code == 413, refused.text
    error = refused.json()["error"]
    assert error["code"] == "call_too_long"
    assert "at least 2.0 minutes" in error["message"] and "up to 2.0 minutes" in error["message"]
    assert await org_rows(ctx, org) == (1, 0)


async def test_the_stored_object_is_ciphertext_that_decrypts_to_the_upload(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    for data in (call_bytes("wav"), call_bytes("mp3")):
        response = await client.upload(org, data)
        record = await stored_call(ctx, org, response.json()["id"])
        assert record is not None
        raw = await ctx.objects.store.get_bytes(record.s3_key)
        assert raw[:4] == b"CTS2" and data_key_id(raw) == f"call:{record.id}"
        assert not raw.startswith((b"RIFF", b"ID3"))
        assert b"WAVE" not in raw[:64] and data[1000:1064] not in raw
        assert ctx.keyring.decrypt_stream_bytes(raw, keys=await call_keys(ctx, record.id)) == data
        with pytest.raises(KeyDestroyed):  # the master key alone opens nothing
            ctx.keyring.decrypt_stream_bytes(raw)


async def test_personal_data_is_encrypted_in_the_database(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    people = [{"name": "Zed Customer", "email": "zed@acme.test", "role": "customer"}]
    response = await client.upload(
        org, tone_bytes(1.5, freq=700), title="Acme renewal", participants=people
    )
    assert response.status_code == 202
    assert response.json()["participants"][0]["name"] == "Zed Customer"
    async with ctx.db.engine.connect() as conn:
        from sqlalchemy import text

        rows = (await conn.execute(text("SELECT * FROM ingest_participants"))).fetchall()
        calls = (await conn.execute(text("SELECT * FROM ingest_calls"))).fetchall()
    dump = repr(rows) + repr(calls)
    for secret in ("Zed Customer", "zed@acme.test", "Acme renewal"):
        assert secret not in dump
    assert fp(client.settings, "zed@acme.test") in dump


async def test_range_requests_return_exactly_the_asked_bytes(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    data = call_bytes("wav")  # ~560 KB: spans three 256 KB encryption chunks
    assert len(data) > 2 * 256 * 1024
    call_id = (await client.upload(org, data)).json()["id"]
    url = f"/internal/calls/{call_id}/audio"
    headers = client.headers(org)

    whole = await client.http.get(url, headers=headers)
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "audio/wav"

    chunk = 256 * 1024
    for start, end in [(0, 11), (chunk - 5, chunk + 5), (chunk * 2 - 1, len(data) - 1), (44, 44)]:
        part = await client.http.get(url, headers={**headers, "Range": f"bytes={start}-{end}"})
        assert part.status_code == 206
        assert part.content == data[start : end + 1]
        assert part.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
        assert int(part.headers["content-length"]) == end - start + 1

    tail = await client.http.get(url, headers={**headers, "Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == data[-100:]
    beyond = await client.http.get(url, headers={**headers, "Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


async def test_reads_spanning_several_fetch_windows_are_stitched_together(
    client: IngestClient, ctx: IngestContext
) -> None:
    org = new_org()
    data = call_bytes("wav")
    record = await stored_call(ctx, org, (await client.upload(org, data)).json()["id"])
    assert record is not None
    narrow = EncryptedObjects(ctx.objects.store, ctx.keyring, window_chunks=1)
    decryptor = await narrow.decryptor(record.s3_key, await call_keys(ctx, record.id))
    chunk = decryptor.chunk_size
    for start, end in [(0, len(data)), (100, chunk * 2 + 7), (chunk - 1, chunk + 1)]:
        pieces = [
            p async for p in narrow.read_range(record.s3_key, start, end, len(data), decryptor)
        ]
        assert b"".join(pieces) == data[start:end]
        assert len(pieces) == (end - 1) // chunk - start // chunk + 1, "one fetch per chunk"


async def test_another_organizations_call_is_not_found(client: IngestClient) -> None:
    owner, intruder = new_org(), new_org()
    call_id = (await client.upload(owner, tone_bytes(1.0, freq=800))).json()["id"]
    for path in (f"/internal/calls/{call_id}", f"/internal/calls/{call_id}/audio"):
        response = await client.http.get(path, headers=client.headers(intruder))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    listed = await client.http.get("/internal/calls", headers=client.headers(intruder))
    assert listed.json()["items"] == []
    assert (await client.get_call(owner, call_id)).status_code == 200


async def test_reps_see_their_calls_managers_their_team_admins_everything(
    client: IngestClient,
) -> None:
    org = new_org()
    ids: dict[str, list[str]] = {"rep-a": [], "rep-b": [], "rep-c": []}
    for n, user in enumerate(["rep-a", "rep-a", "rep-b", "rep-c"]):
        response = await client.upload(org, tone_bytes(1.0, freq=900 + n), user=user, role="rep")
        ids[user].append(response.json()["id"])

    async def visible(**who: Any) -> set[str]:
        found: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = await client.http.get(
                "/internal/calls", params=params, headers=client.headers(org, **who)
            )
            assert page.status_code == 200, page.text
            found |= {c["id"] for c in page.json()["items"]}
            cursor = page.json()["next_cursor"]
            if not cursor:
                return found

    assert await visible(user="rep-a", role="rep") == set(ids["rep-a"])
    manager = await visible(user="mgr", role="manager", team=("rep-b",))
    assert manager == set(ids["rep-b"])
    assert await visible(user="boss", role="admin") == {i for v in ids.values() for i in v}
    assert await visible(user="dpo", role="compliance") == {i for v in ids.values() for i in v}

    other = ids["rep-b"][0]
    assert (await client.get_call(org, other, user="rep-a", role="rep")).status_code == 404
    assert (
        await client.get_call(org, other, user="mgr", role="manager", team=("rep-b",))
    ).status_code == 200


async def test_listing_is_newest_first_with_a_working_cursor(client: IngestClient) -> None:
    org = new_org()
    uploaded = [
        (await client.upload(org, tone_bytes(1.0, freq=1000 + n))).json()["id"] for n in range(5)
    ]
    first = await client.http.get("/internal/calls?limit=2", headers=client.headers(org))
    second = await client.http.get(
        "/internal/calls",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=client.headers(org),
    )
    third = await client.http.get(
        "/internal/calls",
        params={"limit": 2, "cursor": second.json()["next_cursor"]},
        headers=client.headers(org),
    )
    pages = [p.json() for p in (first, second, third)]
    order = [c["id"] for p in pages for c in p["items"]]
    assert order == list(reversed(uploaded))
    assert pages[2]["next_cursor"] is None
    bad = await client.http.get(
        "/internal/calls", params={"cursor": "garbage!"}, headers=client.headers(org)
    )
    assert bad.status_code == 422


async def test_call_uploaded_event_carries_object_references_and_fingerprints_but_no_personal_data(
    client: IngestClient, ctx: IngestContext, kafka_bootstrap: str
) -> None:
    org = new_org()
    people = [
        {"name": "Riley Rep", "email": "riley@seller.test", "role": "rep"},
        {"name": "Casey Buyer", "email": "casey@buyer.test", "role": "customer"},
    ]
    data = tone_bytes(2.5, freq=1200)
    call = (await client.upload(org, data, title="Pricing talk", participants=people)).json()
    messages = await read_topic(
        kafka_bootstrap, "call-uploaded", lambda e: e["data"]["call_id"] == call["id"]
    )
    assert len(messages) == 1
    raw, envelope = messages[0]
    for secret in ("Riley", "riley@seller.test", "Casey", "casey@buyer.test", "Pricing talk"):
        assert secret.encode() not in raw
    payload = envelope["data"]
    assert envelope["org_id"] == org and envelope["key"] == call["id"]
    assert envelope["source"] == "ingest"
    assert [p["fingerprint"] for p in payload["participants"]] == [
        fp(client.settings, "riley@seller.test"),
        fp(client.settings, "casey@buyer.test"),
    ]
    assert [p["role"] for p in payload["participants"]] == ["rep", "customer"]
    assert set(envelope["subject_ids"]) >= {
        call["id"],
        *(p["fingerprint"] for p in payload["participants"]),
    }
    assert (payload["audio_format"], payload["channels"], payload["sample_rate"]) == (
        "wav",
        1,
        16000,
    )
    assert payload["size_bytes"] == len(data)
    assert payload["audio"]["bucket"] == ctx.objects.store.bucket
    assert payload["audio"]["key"].startswith(f"orgs/{org}/calls/{call['id']}/")
    assert "http" not in json.dumps(payload), "an object reference, never an address"
    fetched = await ctx.objects.store.read(ObjectRef(**payload["audio"]))
    assert fetched[:4] == b"CTS2"
    # the event names the audio's key, never carries it: transcribe asks ingest for it
    assert payload["audio_key_id"] == data_key_id(fetched) == f"call:{call['id']}"
    assert "audio_key" not in payload and "wrapped" not in json.dumps(payload)
    carried = await audio_keys(client, ctx).fetch(org, payload["audio_key_id"])
    assert ctx.keyring.decrypt_stream_bytes(fetched, keys=carried) == data
    with pytest.raises(KeyDestroyed):  # another organization's service gets nothing
        await audio_keys(client, ctx).fetch(new_org(), payload["audio_key_id"])
    assert payload["language"] is None, "no language set: transcribe detects it"


@pytest.mark.parametrize(("sent", "stored"), [(" PT ", "pt"), ("de", "de"), ("auto", None)])
async def test_the_language_set_at_upload_is_stored_and_reaches_the_event(
    client: IngestClient, ctx: IngestContext, kafka_bootstrap: str, sent: str, stored: str | None
) -> None:
    org = new_org()
    data = tone_bytes(1.5, freq=1300)  # a fresh org each time: never a duplicate
    response = await client.upload(org, data, language=sent)
    assert response.status_code == 202, response.text
    call = response.json()
    assert call["language"] == stored
    record = await stored_call(ctx, org, call["id"])
    assert record is not None and record.language == stored
    messages = await read_topic(
        kafka_bootstrap, "call-uploaded", lambda e: e["data"]["call_id"] == call["id"]
    )
    assert [envelope["data"]["language"] for _, envelope in messages] == [stored]


async def test_a_database_failure_after_the_audio_reached_s3_deletes_the_object(
    ctx: IngestContext, settings: IngestSettings, tmp_path: Any
) -> None:
    """The call row cannot be written (its participants table is missing): no orphan object."""
    broken_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'broken.db'}")
    await broken_db.create_all(CallRecord)  # the duplicate check works, the insert does not
    broken = IngestContext(
        settings=settings, db=broken_db, keyring=ctx.keyring, keys=ctx.keys, objects=ctx.objects
    )
    org = new_org()
    content_type, body = form_body(
        tone_bytes(1.0, freq=1300), {"participants": json.dumps([{"name": "N", "role": "rep"}])}
    )
    async with ctx.db.session() as session:
        quota = await quota_status(session, settings, org)
    with pytest.raises(Exception, match=r"ingest_restrictions|no such table"):
        await accept_upload(
            broken, Identity(org_id=org, user_id="u", role="admin"), quota, content_type, body
        )
    await broken_db.dispose()
    assert await org_objects(ctx, org) == []
    assert not [k for k in await pending_multipart_uploads(ctx) if org in k]


async def _list_parts(ctx: IngestContext, org: str) -> int:
    """Parts already in S3 of the org's pending multipart uploads."""
    store = ctx.objects.store
    count = 0
    async with store.client() as s3:
        for upload in await store.pending_uploads(f"orgs/{org}/"):
            parts = await s3.list_parts(
                Bucket=store.bucket, Key=upload.key, UploadId=upload.upload_id
            )
            count += len(parts.get("Parts", []))
    return count


async def test_parts_reach_s3_before_the_body_ends_and_a_dropped_connection_leaves_nothing(
    client: IngestClient, ctx: IngestContext
) -> None:
    """Issue 20: the encrypted audio is sent to S3 while the rest still arrives. The
    client then hangs up mid-body: the multipart upload is aborted, nothing is kept."""
    org = new_org()
    events_before = await outbox_size(ctx, org)
    audio = tone_bytes(600.0, freq=1500)  # 19.2 MB: two parts and more
    reader, writer = await client.start_upload(org, audio, send=12 * 1024 * 1024)
    # Deadlock guard, not a timing assertion: ingest that waited for the whole body
    # would never have sent a part.
    await wait_until(lambda: _parts_sent(ctx, org), timeout=60)
    writer.transport.abort()  # the client is gone mid-body
    await wait_until(lambda: _nothing_pending(ctx, org), timeout=60)
    assert await org_objects(ctx, org) == []
    assert await org_rows(ctx, org) == (0, 0)
    assert await outbox_size(ctx, org) == events_before
    del reader


async def _parts_sent(ctx: IngestContext, org: str) -> bool:
    return await _list_parts(ctx, org) >= 1


async def _nothing_pending(ctx: IngestContext, org: str) -> bool:
    return await ctx.objects.store.pending_uploads(f"orgs/{org}/") == []


class PartFails(S3Store):
    """S3 that takes part 1 and fails part 2, as a broken connection would."""

    async def upload_part(
        self, s3: Any, key: str, upload_id: str, number: int, body: bytes
    ) -> dict[str, Any]:
        if number == 2:
            raise ConnectionError("injected: S3 went away after part 1")
        return await super().upload_part(s3, key, upload_id, number, body)


async def test_a_failure_between_two_parts_leaves_no_object_no_row_no_event(
    ctx: IngestContext, settings: IngestSettings
) -> None:
    small_parts = settings.model_copy(update={"upload_part_mb": 5})
    failing = IngestContext(
        settings=small_parts,
        db=ctx.db,
        keyring=ctx.keyring,
        keys=ctx.keys,
        objects=EncryptedObjects(PartFails(small_parts), ctx.keyring),
    )
    org = new_org()
    events_before = await outbox_size(ctx, org)
    content_type, body = form_body(tone_bytes(500.0, freq=1400))  # 16 MB: 4 parts
    async with ctx.db.session() as session:
        quota = await quota_status(session, settings, org)
    with pytest.raises(ConnectionError, match="after part 1"):
        await accept_upload(
            failing, Identity(org_id=org, user_id="u", role="admin"), quota, content_type, body
        )
    assert not [k for k in await pending_multipart_uploads(ctx) if org in k]
    assert await org_objects(ctx, org) == []
    assert await org_rows(ctx, org) == (0, 0)
    assert await outbox_size(ctx, org) == events_before


async def test_a_refused_upload_whose_parts_reached_s3_leaves_nothing_there(
    client: IngestClient, ctx: IngestContext
) -> None:
    """12 MB that are not audio: a part is sent before the end, the 415 aborts it."""
    org = new_org()
    response = await client.upload(org, b"not audio, " * (1200 * 1024))
    assert response.status_code == 415, response.text
    assert await org_objects(ctx, org) == []
    assert not [k for k in await pending_multipart_uploads(ctx) if org in k]


async def test_rectification_changes_a_participant_everywhere_in_the_org(
    client: IngestClient,
) -> None:
    org = new_org()
    person = {"name": "Old Name", "email": "old@buyer.test", "role": "customer"}
    ids = [
        (await client.upload(org, tone_bytes(1.0, freq=1400 + n), participants=[person])).json()[
            "id"
        ]
        for n in range(2)
    ]
    denied = await client.http.patch(
        "/internal/participants",
        json={"email": "old@buyer.test", "name": "New"},
        headers=client.headers(org, role="rep"),
    )
    assert denied.status_code == 403
    changed = await client.http.patch(
        "/internal/participants",
        json={"email": "OLD@buyer.test", "name": "New Name", "new_email": "new@buyer.test"},
        headers=client.headers(org),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "updated": 2,
        "email_fingerprint": fp(client.settings, "new@buyer.test"),
    }
    for call_id in ids:
        participant = (await client.get_call(org, call_id)).json()["participants"][0]
        assert (participant["name"], participant["email"]) == ("New Name", "new@buyer.test")
    missing = await client.http.patch(
        "/internal/participants",
        json={"email": "old@buyer.test", "name": "again"},
        headers=client.headers(org),
    )
    assert missing.status_code == 404
    other_org = await client.http.patch(
        "/internal/participants",
        json={"email": "new@buyer.test", "name": "hijack"},
        headers=client.headers(new_org()),
    )
    assert other_org.status_code == 404


async def test_quota_reports_the_free_tier_and_minutes_used(client: IngestClient) -> None:
    org = new_org()
    await client.upload(org, tone_bytes(30.0, freq=1500))
    quota = (await client.http.get("/internal/quota", headers=client.headers(org))).json()
    assert (quota["plan"], quota["source"], quota["included_minutes"]) == ("free", "free", 60)
    assert quota["used_minutes"] == pytest.approx(0.5, abs=0.01)
    assert quota["max_upload_mb"] == client.settings.max_upload_mb
