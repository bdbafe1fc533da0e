"""What ingest does with other services' events, on the real broker, S3 and database."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from clashtor_common.crypto import KeyDestroyed
from clashtor_common.events import (
    CallFailed,
    CallProgressed,
    CallScored,
    ExportRequested,
    ObjectRef,
    PlanLimits,
    Subject,
    SubjectRectified,
    SubjectRestricted,
    SubscriptionChanged,
    make_event,
)
from clashtor_common.s3 import ObjectNotFound
from clashtor_common.service import ServiceRuntime
from clashtor_common.testing.events import call_transcribed as transcribed
from clashtor_common.testing.events import erasure_requested
from ingest.adapters.tables import ErasedCall, ErasedFingerprint
from ingest.context import IngestContext

from ..audio_samples import tone_bytes
from .support import (
    IngestClient,
    Publisher,
    audio_keys,
    call_keys,
    erase_and_wait,
    fp,
    handled,
    new_org,
    org_objects,
    pending_multipart_uploads,
    read_topic,
    stored_call,
    wait_until,
)


def scored(call_id: str) -> CallScored:
    return CallScored(call_id=call_id, uploader_id="user-1", overall_score=71.0, engine="local")


_stripe_clock = itertools.count(int(time.time()))


def subscription(**limits: Any) -> SubscriptionChanged:
    """A newer Stripe state each time (billing orders changes by Stripe's timestamp)."""
    return SubscriptionChanged(
        plan="tiny",
        status="active",
        limits=PlanLimits(**{"included_minutes": 100, "seats": 2, **limits}),
        stripe_updated=next(_stripe_clock),
    )


async def status_of(client: IngestClient, org: str, call_id: str) -> str:
    return (await client.get_call(org, call_id)).json()["status"]


Processed = Callable[[uuid.UUID], Awaitable[bool]]


@pytest.fixture
def processed(app_runtime: tuple[str, ServiceRuntime], ctx: IngestContext) -> Processed:
    """Whether ingest's consumer has handled (committed) the event of this id."""
    group = app_runtime[1].settings.consumer_group
    return lambda event_id: handled(ctx, group, event_id)


async def upload(client: IngestClient, org: str, freq: float, **kwargs: Any) -> dict[str, Any]:
    response = await client.upload(org, tone_bytes(1.0, freq=freq), **kwargs)
    assert response.status_code == 202, response.text
    return response.json()


async def test_status_follows_the_pipeline_and_never_goes_back(
    client: IngestClient, publisher: Publisher, processed: Processed
) -> None:
    org = new_org()
    call_id = (await upload(client, org, 2000))["id"]

    await publisher.publish(transcribed(call_id), org=org, key=call_id, source="transcribe")
    await wait_until(lambda: _status_is(client, org, call_id, "transcribed"))
    await publisher.publish(scored(call_id), org=org, key=call_id, source="score")
    await wait_until(lambda: _status_is(client, org, call_id, "scored"))
    before = (await client.get_call(org, call_id)).json()

    late = await publisher.publish(transcribed(call_id), org=org, key=call_id)
    late_failure = await publisher.publish(
        CallFailed(call_id=call_id, stage="transcribe", code="timeout", reason="late"),
        org=org,
        key=call_id,
    )
    await wait_until(lambda: processed(late.id))
    await wait_until(lambda: processed(late_failure.id))
    after = (await client.get_call(org, call_id)).json()
    assert after["status"] == "scored"
    assert after["updated_at"] == before["updated_at"]


async def _status_is(client: IngestClient, org: str, call_id: str, status: str) -> bool:
    return await status_of(client, org, call_id) == status


async def test_a_failure_is_recorded_with_its_reason_and_a_successful_retry_replaces_it(
    client: IngestClient, publisher: Publisher
) -> None:
    org = new_org()
    call_id = (await upload(client, org, 2100))["id"]
    await publisher.publish(
        CallFailed(call_id=call_id, stage="transcribe", code="engine_error", reason="no speech"),
        org=org,
        key=call_id,
    )
    await wait_until(lambda: _status_is(client, org, call_id, "failed"))
    failure = (await client.get_call(org, call_id)).json()["failure"]
    assert failure == {"stage": "transcribe", "code": "engine_error", "reason": "no speech"}
    await publisher.publish(transcribed(call_id), org=org, key=call_id)
    await wait_until(lambda: _status_is(client, org, call_id, "transcribed"))
    assert (await client.get_call(org, call_id)).json()["failure"] is None


async def test_a_duplicate_event_changes_nothing(
    client: IngestClient,
    ctx: IngestContext,
    publisher: Publisher,
    app_runtime: Any,
    processed: Processed,
) -> None:
    runtime = app_runtime[1]
    org = new_org()
    call_id = (await upload(client, org, 2200))["id"]
    event = make_event(
        CallFailed(call_id=call_id, stage="score", code="x", reason="first"),
        source="score",
        org_id=org,
        key=call_id,
    )
    await publisher.send(event)
    await wait_until(lambda: _status_is(client, org, call_id, "failed"))
    first = await stored_call(ctx, org, call_id)
    duplicates_before = sum(c.stats.duplicates for c in runtime.consumers)
    await publisher.send(event)  # the very same event id again
    marker = await publisher.publish(
        CallFailed(call_id=call_id, stage="score", code="x", reason="marker"), org=org, key=call_id
    )
    await wait_until(lambda: processed(marker.id))
    after = await stored_call(ctx, org, call_id)
    assert first is not None and after is not None
    assert (after.failure_reason, after.updated_at) == ("first", first.updated_at)
    assert sum(c.stats.duplicates for c in runtime.consumers) > duplicates_before


async def test_status_events_about_another_orgs_call_change_nothing(
    client: IngestClient, publisher: Publisher, processed: Processed
) -> None:
    owner, other = new_org(), new_org()
    call_id = (await upload(client, owner, 2300))["id"]
    forged = await publisher.publish(scored(call_id), org=other, key=call_id)
    await wait_until(lambda: processed(forged.id))
    assert await status_of(client, owner, call_id) == "uploaded"


async def test_a_plan_with_no_minutes_left_refuses_uploads_with_402(
    client: IngestClient, publisher: Publisher
) -> None:
    org = new_org()
    await upload(client, org, 2400)  # on the free tier
    await publisher.publish(subscription(included_minutes=0), org=org, source="billing")
    await wait_until(lambda: _plan_is(client, org, "tiny"))
    refused = await client.upload(org, tone_bytes(1.0, freq=2401))
    assert refused.status_code == 402
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "0 minutes" in error["message"] and "used this period" in error["message"]

    await publisher.publish(subscription(included_minutes=1), org=org, source="billing")
    await wait_until(lambda: _included_is(client, org, 1))
    fits = await client.upload(org, tone_bytes(1.0, freq=2402))
    assert fits.status_code == 202
    too_long = await client.upload(org, tone_bytes(59.0, freq=2403))
    assert too_long.status_code == 402
    # decoding stops once past the minutes left, so the length is a lower bound
    assert "this call is at least 1.0 minutes" in too_long.json()["error"]["message"]


async def test_an_older_subscription_change_never_overrides_a_newer_one(
    client: IngestClient, publisher: Publisher, processed: Processed
) -> None:
    org = new_org()
    newer = SubscriptionChanged(
        plan="pro",
        status="active",
        limits=PlanLimits(included_minutes=500, seats=5),
        stripe_updated=2000,
    )
    older = SubscriptionChanged(
        plan="starter",
        status="active",
        limits=PlanLimits(included_minutes=5, seats=1),
        stripe_updated=1000,
    )
    await publisher.publish(newer, org=org, source="billing")
    await wait_until(lambda: _plan_is(client, org, "pro"))
    stale = await publisher.publish(older, org=org, source="billing")
    await wait_until(lambda: processed(stale.id))
    quota = (await client.http.get("/internal/quota", headers=client.headers(org))).json()
    assert (quota["plan"], quota["included_minutes"]) == ("pro", 500)


async def test_the_plans_upload_size_limit_answers_413_with_the_limit(
    client: IngestClient, ctx: IngestContext, publisher: Publisher
) -> None:
    org = new_org()
    await publisher.publish(subscription(max_upload_mb=1), org=org, source="billing")
    await wait_until(lambda: _plan_is(client, org, "tiny"))
    big = tone_bytes(40.0, freq=2500)  # 40 s of 16 kHz mono 16-bit PCM: 1.28 MB
    refused = await client.upload(org, big)
    assert refused.status_code == 413
    assert "1 MB" in refused.json()["error"]["message"]

    async def chunked_body() -> Any:
        boundary = "ingestboundary"
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n'
        ).encode()
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = await client.http.post(
        "/internal/calls",
        content=chunked_body(),
        headers={
            **client.headers(org),
            "content-type": "multipart/form-data; boundary=ingestboundary",
        },
    )
    assert streamed.status_code == 413, "no Content-Length: cut off while streaming"
    assert "1 MB" in streamed.json()["error"]["message"]
    assert await org_objects(ctx, org) == []
    assert not [k for k in await pending_multipart_uploads(ctx) if org in k]


async def _plan_is(client: IngestClient, org: str, plan: str) -> bool:
    quota = (await client.http.get("/internal/quota", headers=client.headers(org))).json()
    return quota["plan"] == plan


async def _included_is(client: IngestClient, org: str, minutes: int) -> bool:
    quota = (await client.http.get("/internal/quota", headers=client.headers(org))).json()
    return quota["included_minutes"] == minutes


async def test_erasing_a_participant_removes_every_call_they_took_part_in(
    client: IngestClient,
    ctx: IngestContext,
    publisher: Publisher,
    kafka_bootstrap: str,
    processed: Processed,
) -> None:
    org = new_org()
    alice = {"name": "Alice Buyer", "email": "alice@buyer.test", "role": "customer"}
    bob = {"name": "Bob Buyer", "email": "bob@buyer.test", "role": "customer"}
    with_alice = await upload(client, org, 2600, participants=[alice])
    with_both = await upload(client, org, 2601, participants=[bob, alice])
    bob_only = await upload(client, org, 2602, participants=[bob])
    other_org = new_org()
    elsewhere = await upload(client, other_org, 2603, participants=[alice])
    assert len(await org_objects(ctx, org)) == 3

    alice_fp = fp(client.settings, "alice@buyer.test")
    erase = erasure_requested("participant", fingerprint=alice_fp)
    request_id = erase.request_id
    await publisher.publish(erase, org=org, source="privacy")
    done = await read_topic(
        kafka_bootstrap, "erasure-completed", lambda e: e["data"]["request_id"] == request_id
    )
    assert len(done) == 1
    completed = done[0][1]
    assert completed["data"]["service"] == "ingest"
    assert completed["data"]["status"] == "completed"
    assert completed["data"]["removed"] == {
        "calls": 2,
        "participants": 3,
        "audio_objects": 2,
        "data_keys": 5,
        "playlist_items": 0,
        "playlists": 0,
    }
    assert b"alice" not in done[0][0].lower()

    for gone in (with_alice, with_both):
        assert (await client.get_call(org, gone["id"])).status_code == 404
    assert (await client.get_call(org, bob_only["id"])).status_code == 200
    remaining = await org_objects(ctx, org)
    assert len(remaining) == 1 and bob_only["id"] in remaining[0]
    assert (await client.get_call(other_org, elsewhere["id"])).status_code == 200, (
        "erasure stays inside the requesting organization"
    )

    uploaded = await read_topic(
        kafka_bootstrap, "call-uploaded", lambda e: e["data"]["call_id"] == with_alice["id"]
    )
    old_ref = ObjectRef(**uploaded[0][1]["data"]["audio"])
    with pytest.raises(ObjectNotFound):  # an old event's object reference yields nothing
        await ctx.objects.store.read(old_ref)

    assert await call_keys(ctx, with_alice["id"]) == {}, "the call's key is destroyed"
    assert await call_keys(ctx, bob_only["id"]) != {}
    async with ctx.db.session() as session:
        assert await session.get(ErasedCall, with_alice["id"]) is not None
        assert await session.get(ErasedFingerprint, (org, alice_fp)) is not None

    # A late status event about an erased call and a replayed erasure change nothing.
    late = await publisher.publish(scored(with_alice["id"]), org=org, key=with_alice["id"])
    await wait_until(lambda: processed(late.id))
    assert await stored_call(ctx, org, with_alice["id"]) is None
    await publisher.publish(erase, org=org, source="privacy")  # a re-send: new event id
    replies = await read_topic(
        kafka_bootstrap,
        "erasure-completed",
        lambda e: e["data"]["request_id"] == request_id,
        at_least=2,
    )
    assert [r[1]["data"]["removed"]["calls"] for r in replies] == [2, 0]


async def test_erasing_a_user_removes_the_calls_they_uploaded(
    client: IngestClient, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org = new_org()
    theirs = [await upload(client, org, 2700 + n, user="leaver", role="rep") for n in range(2)]
    kept = await upload(client, org, 2710, user="stayer", role="rep")
    done = await erase_and_wait(publisher, kafka_bootstrap, org, Subject(type="user", id="leaver"))
    assert done["removed"]["calls"] == 2
    for call in theirs:
        assert (await client.get_call(org, call["id"])).status_code == 404
    assert (await client.get_call(org, kept["id"])).status_code == 200


async def nothing_kept(client: IngestClient, ctx: IngestContext, org: str) -> None:
    """No call listed in ``org``, no object of it in S3, no multipart upload pending."""
    listed = await client.http.get("/internal/calls", headers=client.headers(org))
    assert listed.json()["items"] == []
    assert await org_objects(ctx, org) == []
    assert [k for k in await pending_multipart_uploads(ctx) if k.startswith(f"orgs/{org}/")] == []


async def test_a_late_upload_in_an_erased_users_name_is_refused_and_leaves_nothing(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    """A Zoom import of a meeting they hosted that was on its way when they were erased,
    say: no call comes back for them, and nothing of it stays in S3."""
    org = new_org()
    await upload(client, org, 2750, user="leaver", role="rep")
    done = await erase_and_wait(publisher, kafka_bootstrap, org, Subject(type="user", id="leaver"))
    assert done["removed"]["calls"] == 1

    late = await client.upload(org, tone_bytes(1.0, freq=2751), user="leaver", role="rep")
    assert late.status_code == 410, late.text
    assert late.json()["error"]["code"] == "uploader_erased"
    await nothing_kept(client, ctx, org)
    assert (await client.upload(org, tone_bytes(1.0, freq=2752), user="stayer")).status_code == 202


async def test_a_late_upload_in_an_erased_organization_is_refused_and_leaves_nothing(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    """An upload that was on its way when the organization was erased (a Zoom import,
    a slow client) makes no call in it, and leaves nothing in S3."""
    org = new_org()
    await upload(client, org, 2760, user="owner")
    done = await erase_and_wait(publisher, kafka_bootstrap, org, Subject(type="organization"))
    assert done["removed"]["calls"] == 1

    late = await client.upload(org, tone_bytes(1.0, freq=2761), user="owner")
    assert late.status_code == 410, late.text
    assert late.json()["error"]["code"] == "organization_erased"
    await nothing_kept(client, ctx, org)
    assert (await client.upload(new_org(), tone_bytes(1.0, freq=2762))).status_code == 202


async def test_an_erased_calls_source_is_not_made_into_a_call_again(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    """A Zoom import whose outcome integrations lost is uploaded again when its lease
    ends: once that call was erased, the same recording (even as other bytes) is
    refused, and nothing of it stays in S3 (issue #16)."""
    org, source = new_org(), "zoom:file-1"
    first = await upload(client, org, 2770, user="host", role="rep", source=source)
    again = await client.upload(
        org, tone_bytes(1.0, freq=2771), user="host", role="rep", source=source
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    await erase_and_wait(publisher, kafka_bootstrap, org, Subject(type="call", id=first["id"]))

    late = await client.upload(
        org, tone_bytes(1.0, freq=2770), user="host", role="rep", source=source
    )
    assert late.status_code == 410, late.text
    assert late.json()["error"]["code"] == "source_erased"
    await nothing_kept(client, ctx, org)
    other = await client.upload(
        org, tone_bytes(1.0, freq=2772), user="host", role="rep", source="zoom:file-2"
    )
    assert other.status_code == 202, other.text


async def test_erasing_one_call_removes_only_that_call(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org = new_org()
    target, other = await upload(client, org, 2800), await upload(client, org, 2801)
    keys = audio_keys(client, ctx)
    assert await keys.fetch(org, f"call:{target['id']}")  # transcribe may ask for it
    done = await erase_and_wait(
        publisher, kafka_bootstrap, org, Subject(type="call", id=target["id"])
    )
    assert done["removed"] == {
        "calls": 1,
        "participants": 0,
        "audio_objects": 1,
        "data_keys": 1,
        "playlist_items": 0,
        "playlists": 0,
    }
    with pytest.raises(KeyDestroyed):  # a replayed call-uploaded gets no key any more
        await keys.fetch(org, f"call:{target['id']}")
    assert await keys.fetch(org, f"call:{other['id']}")
    assert (await client.get_call(org, target["id"])).status_code == 404
    assert (await client.get_call(org, other["id"])).status_code == 200
    assert len(await org_objects(ctx, org)) == 1


async def test_erasing_an_organization_removes_all_its_calls_and_objects(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org, neighbour = new_org(), new_org()
    for n in range(3):
        await upload(client, org, 2900 + n)
    survivor = await upload(client, neighbour, 2910)
    done = await erase_and_wait(
        publisher, kafka_bootstrap, org, Subject(type="organization", id=org)
    )
    assert done["removed"]["calls"] == 3
    assert await org_objects(ctx, org) == []
    listed = await client.http.get("/internal/calls", headers=client.headers(org))
    assert listed.json()["items"] == []
    assert (await client.get_call(neighbour, survivor["id"])).status_code == 200


async def test_an_erasure_addressed_to_other_services_is_left_alone(
    client: IngestClient, publisher: Publisher, processed: Processed
) -> None:
    org = new_org()
    call = await upload(client, org, 3000)
    event = await publisher.publish(
        erasure_requested("call", call["id"], services=["transcribe"]),
        org=org,
        source="privacy",
    )
    await wait_until(lambda: processed(event.id))
    assert (await client.get_call(org, call["id"])).status_code == 200


async def test_an_export_bundles_the_subjects_calls_and_audio_encrypted_behind_a_link(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org = new_org()
    dana = {"name": "Dana Prospect", "email": "dana@prospect.test", "role": "customer"}
    rep = {"name": "Sam Seller", "email": "sam@seller.test", "role": "rep"}
    data = tone_bytes(1.0, freq=3100)
    call = (await client.upload(org, data, title="Discovery", participants=[rep, dana])).json()
    await upload(client, org, 3101, participants=[rep])  # not Dana's

    request_id = f"exp-{uuid.uuid4().hex[:8]}"
    subject = Subject(type="participant", fingerprint=fp(client.settings, "dana@prospect.test"))
    await publisher.publish(
        ExportRequested(request_id=request_id, subject=subject, include_audio=True),
        org=org,
        source="privacy",
    )
    ready = await read_topic(
        kafka_bootstrap, "export-part-ready", lambda e: e["data"]["request_id"] == request_id
    )
    part = ready[0][1]["data"]
    assert (part["service"], part["status"], part["items"]) == ("ingest", "ready", 1)
    assert b"Dana" not in ready[0][0]
    sealed = await ctx.objects.store.read(ObjectRef(**part["part"]))
    assert sealed[:4] == b"CTR1", "privacy's part format: one Keyring record"
    document = json.loads(ctx.keyring.decrypt(sealed))
    assert document["service"] == "ingest" and document["request_id"] == request_id
    assert document["subject"] == subject.model_dump(mode="json")
    assert [item["id"] for item in document["items"]] == [call["id"]]
    people = document["items"][0]["participants"]
    assert (people[0]["name"], people[0]["email"]) == ("Dana Prospect", "dana@prospect.test")
    assert people[1:] == [{"role": "rep"}], "other participants appear only as their role"
    assert "Sam Seller" not in json.dumps(document)
    name = document["items"][0]["audio_file"]
    assert name == f"{call['id']}.wav"
    assert base64.b64decode(document["files"][name]) == data


async def test_an_export_for_someone_with_no_calls_is_an_empty_part(
    publisher: Publisher, kafka_bootstrap: str
) -> None:
    request_id = f"exp-{uuid.uuid4().hex[:8]}"
    await publisher.publish(
        ExportRequested(request_id=request_id, subject=Subject(type="user", id="nobody")),
        org=new_org(),
        source="privacy",
    )
    ready = await read_topic(
        kafka_bootstrap, "export-part-ready", lambda e: e["data"]["request_id"] == request_id
    )
    assert (ready[0][1]["data"]["items"], ready[0][1]["data"]["part"]) == (0, None)


async def test_a_restricted_participant_marks_their_calls_restricted(
    client: IngestClient, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org = new_org()
    person = {"name": "Rae", "email": "rae@buyer.test", "role": "customer"}
    earlier = await upload(client, org, 3200, participants=[person])
    subject = Subject(type="participant", fingerprint=fp(client.settings, "rae@buyer.test"))
    await publisher.publish(
        SubjectRestricted(request_id="r-1", subject=subject, restricted=True),
        org=org,
        source="privacy",
    )
    await wait_until(lambda: _restricted(client, org, earlier["id"]))
    later = await upload(client, org, 3201, participants=[person])
    assert later["processing_restricted"] is True
    uploaded = await read_topic(
        kafka_bootstrap, "call-uploaded", lambda e: e["data"]["call_id"] == later["id"]
    )
    assert uploaded[0][1]["data"]["processing_restricted"] is True
    unrelated = await upload(client, org, 3202, participants=[{"name": "Q", "role": "rep"}])
    assert unrelated["processing_restricted"] is False


async def _restricted(client: IngestClient, org: str, call_id: str) -> bool:
    return bool((await client.get_call(org, call_id)).json()["processing_restricted"])


async def test_a_rectification_from_privacy_updates_the_participant_on_every_call(
    client: IngestClient, ctx: IngestContext, publisher: Publisher
) -> None:
    org = new_org()
    person = {"name": "Jo Typo", "email": "jo@buyer.test", "role": "customer"}
    ids = [(await upload(client, org, 3300 + n, participants=[person]))["id"] for n in range(2)]
    claim = {
        "request_id": "rect-1",
        "changes": {"name": "Jo Right", "email": "Jo.Right@Buyer.test"},
    }
    key = f"claims/{uuid.uuid4().hex}"
    await ctx.objects.store.put_bytes(key, ctx.keyring.encrypt(json.dumps(claim).encode()))
    subject = Subject(type="participant", fingerprint=fp(client.settings, "jo@buyer.test"))
    await publisher.publish(
        SubjectRectified(request_id="rect-1", subject=subject, changes=ctx.objects.store.ref(key)),
        org=org,
        source="privacy",
    )

    async def corrected() -> bool:
        found = (await client.get_call(org, ids[1])).json()["participants"][0]
        return found["name"] == "Jo Right"

    await wait_until(corrected)
    for call_id in ids:
        found = (await client.get_call(org, call_id)).json()["participants"][0]
        assert (found["name"], found["email"]) == ("Jo Right", "jo.right@buyer.test")
        assert found["email_fingerprint"] == fp(client.settings, "jo.right@buyer.test")


async def test_a_users_own_rectification_reaches_the_calls_they_took_part_in(
    client: IngestClient, ctx: IngestContext, publisher: Publisher
) -> None:
    """``PATCH /v1/me`` → privacy: subject ``{type: user, id, fingerprint of the email the
    user had before}``; their participant rows follow, other people's stay as they were."""
    org = new_org()
    rep = {"name": "Sam Seller", "email": "sam@seller.test", "role": "rep"}
    customer = {"name": "Cy Buyer", "email": "cy@buyer.test", "role": "customer"}
    call = await upload(client, org, 3400, participants=[rep, customer])
    # Someone else's call where a customer gave the same address: not the user's data.
    namesake = {"name": "Sam Buyer", "email": "sam@seller.test", "role": "customer"}
    other = await upload(client, org, 3401, participants=[namesake])
    claim = {"request_id": "rect-2", "changes": {"name": "Sam Smith"}}
    key = f"claims/{uuid.uuid4().hex}"
    await ctx.objects.store.put_bytes(key, ctx.keyring.encrypt(json.dumps(claim).encode()))
    subject = Subject(type="user", id="user-9", fingerprint=fp(client.settings, "sam@seller.test"))
    event = SubjectRectified(
        request_id="rect-2", subject=subject, changes=ctx.objects.store.ref(key)
    )
    await publisher.publish(event, org=org, source="privacy")

    async def renamed() -> bool:
        people = (await client.get_call(org, call["id"])).json()["participants"]
        return people[0]["name"] == "Sam Smith"

    await wait_until(renamed)
    people = (await client.get_call(org, call["id"])).json()["participants"]
    assert (people[0]["name"], people[0]["email"]) == ("Sam Smith", "sam@seller.test")
    assert (people[1]["name"], people[1]["email"]) == ("Cy Buyer", "cy@buyer.test")
    (kept,) = (await client.get_call(org, other["id"])).json()["participants"]
    assert kept["name"] == "Sam Buyer"


def progressed(call_id: str, stage: str, percent: int) -> CallProgressed:
    return CallProgressed(call_id=call_id, uploader_id="user-1", stage=stage, percent=percent)


async def test_progress_shows_transcribing_with_percent_then_scoring(
    client: IngestClient, publisher: Publisher, processed: Processed
) -> None:
    org = new_org()
    call_id = (await upload(client, org, 2300))["id"]

    await publisher.publish(progressed(call_id, "transcribe", 0), org=org, key=call_id)
    await wait_until(lambda: _status_is(client, org, call_id, "transcribing"))
    await publisher.publish(progressed(call_id, "transcribe", 60), org=org, key=call_id)
    await wait_until(lambda: _percent_is(client, org, call_id, 60))
    stale = await publisher.publish(progressed(call_id, "transcribe", 30), org=org, key=call_id)
    await wait_until(lambda: processed(stale.id))
    assert (await client.get_call(org, call_id)).json()["progress_percent"] == 60

    await publisher.publish(transcribed(call_id), org=org, key=call_id)
    await wait_until(lambda: _status_is(client, org, call_id, "transcribed"))
    assert (await client.get_call(org, call_id)).json()["progress_percent"] is None
    await publisher.publish(progressed(call_id, "score", 0), org=org, key=call_id)
    await wait_until(lambda: _status_is(client, org, call_id, "scoring"))
    await publisher.publish(scored(call_id), org=org, key=call_id)
    await wait_until(lambda: _status_is(client, org, call_id, "scored"))
    late = await publisher.publish(progressed(call_id, "score", 0), org=org, key=call_id)
    await wait_until(lambda: processed(late.id))
    assert await status_of(client, org, call_id) == "scored"


async def _percent_is(client: IngestClient, org: str, call_id: str, percent: int) -> bool:
    return (await client.get_call(org, call_id)).json()["progress_percent"] == percent


async def test_calls_filter_by_tracker_from_call_scored(
    client: IngestClient, publisher: Publisher
) -> None:
    org = new_org()
    pricing = (await upload(client, org, 2400, title="pricing talk"))["id"]
    quiet = (await upload(client, org, 2500, title="quiet"))["id"]
    await publisher.publish(
        CallScored(call_id=pricing, uploader_id="u", engine="local", trackers=["Pricing", "Trial"]),
        org=org,
        key=pricing,
    )
    await publisher.publish(CallScored(call_id=quiet, uploader_id="u", engine="local"), org=org)
    await wait_until(lambda: _status_is(client, org, quiet, "scored"))
    await wait_until(lambda: _status_is(client, org, pricing, "scored"))

    async def listed(**params: Any) -> list[str]:
        page = await client.http.get("/internal/calls", params=params, headers=client.headers(org))
        assert page.status_code == 200, page.text
        return [c["id"] for c in page.json()["items"]]

    assert await listed(tracker="pricing") == [pricing]
    assert await listed(tracker=" TRIAL ") == [pricing]
    assert await listed(tracker="competitors") == []
    assert await listed(tracker="pricing", status="uploaded") == []
    other = await client.http.get(
        "/internal/calls", params={"tracker": "pricing"}, headers=client.headers(new_org())
    )
    assert other.json()["items"] == []  # another org's tracker hits stay theirs


async def test_the_calls_list_shows_the_latest_announced_score(
    client: IngestClient, publisher: Publisher
) -> None:
    """A manager's review announces call-scored again with the reviewed score: it wins."""
    org = new_org()
    call_id = (await upload(client, org, 2600, title="reviewed"))["id"]
    for score in (57.1, 71.4):
        await publisher.publish(
            CallScored(call_id=call_id, uploader_id="u", engine="local", overall_score=score),
            org=org,
            key=call_id,
        )

    async def listed_score() -> float | None:
        page = await client.http.get("/internal/calls", headers=client.headers(org))
        [item] = page.json()["items"]
        return item["overall_score"]

    await wait_until(lambda: _score_is(listed_score, 71.4))
    assert (await client.get_call(org, call_id)).json()["overall_score"] == 71.4


async def _score_is(read: Any, expected: float) -> bool:
    return bool(await read() == expected)


async def test_call_events_stream_each_status_change_in_order_then_end(
    client: IngestClient, publisher: Publisher
) -> None:
    org = new_org()
    call_id = (await upload(client, org, 2600))["id"]
    steps = [
        progressed(call_id, "transcribe", 0),
        progressed(call_id, "transcribe", 50),
        transcribed(call_id),
        progressed(call_id, "score", 0),
        scored(call_id),
    ]
    seen: list[tuple[str, Any]] = []

    async def read_stream() -> None:
        url = f"/internal/calls/{call_id}/events"
        async with client.http.stream("GET", url, headers=client.headers(org)) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                    seen.append((data["status"], data["progress_percent"]))

    reader = asyncio.create_task(read_stream())
    await wait_until(lambda: _grew(seen, 0))  # the current status comes first
    for step in steps:  # one at a time, each seen before the next (the stream polls)
        before = len(seen)
        await publisher.publish(step, org=org, key=call_id)
        await wait_until(lambda before=before: _grew(seen, before))
    await asyncio.wait_for(reader, timeout=30)  # the stream ended by itself after scored
    assert seen == [
        ("uploaded", None),
        ("transcribing", 0),
        ("transcribing", 50),
        ("transcribed", None),
        ("scoring", None),
        ("scored", None),
    ]


async def _grew(seen: list[Any], before: int) -> bool:
    return len(seen) > before


async def test_call_events_of_a_call_one_may_not_see_answer_404(client: IngestClient) -> None:
    org = new_org()
    call_id = (await upload(client, org, 2700, user="rep-a", role="rep"))["id"]
    for headers in (client.headers(new_org()), client.headers(org, user="rep-b", role="rep")):
        response = await client.http.get(f"/internal/calls/{call_id}/events", headers=headers)
        assert response.status_code == 404
