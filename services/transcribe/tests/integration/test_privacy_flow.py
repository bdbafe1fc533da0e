"""Erasure, export and restriction on the real broker, S3 and database.

Erasure is final: rows and objects go, the event's link yields nothing, and a replayed
or late ``call-uploaded`` about the erased subject transcribes nothing again.
"""

from __future__ import annotations

import json
import uuid

import pytest

from clashtor_callgen import GeneratedCall, generate_call, short_script
from clashtor_common.events import (
    ExportRequested,
    ObjectRef,
    Subject,
    SubjectRestricted,
)
from clashtor_common.s3 import ObjectNotFound
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.waiting import wait_until
from transcribe.adapters.objects import transcript_key
from transcribe.domain.outcomes import CallStatus

from .support import (
    count_records,
    handled,
    new_org,
    participant,
    record_of,
    replayed,
)


@pytest.fixture(scope="module")
def brief_call() -> GeneratedCall:
    """Two turns, one per channel (~8 s): what matters here is what happens to it."""
    return generate_call(short_script()[:2], layout="stereo", fmt="wav")


async def _transcribed_call(up, reader, call, org, **kwargs):
    upload = await up.upload(org, call.read_bytes(), channels=call.channels, **kwargs)
    announced = await reader.wait_for_data(call_id=upload.data["call_id"])
    return upload, announced


async def _erase(up, reader, org, subject: Subject, **kwargs):
    request = erasure_requested(subject, **kwargs)
    await up.publish(request, org=org)
    return await reader.wait_for_data(request_id=request.request_id, service="transcribe")


async def test_erasing_a_call_removes_its_transcript_everywhere_and_for_good(
    uploader, transcribed, erasures, client, ctx, brief_call
):
    org = new_org()
    upload, announced = await _transcribed_call(uploader, transcribed, brief_call, org)
    call_id = upload.data["call_id"]
    kept_upload, _ = await _transcribed_call(uploader, transcribed, brief_call, org)

    done = await _erase(uploader, erasures, org, Subject(type="call", id=call_id))

    assert done.data["status"] == "completed"
    assert done.data["removed"]["transcripts"] == 1
    assert done.data["removed"]["data_keys"] == 1
    assert done.data["kept"], "the tombstone is declared"
    assert await record_of(ctx, call_id) is None
    async with ctx.db.session() as session:  # the transcript's key is destroyed
        assert await ctx.keys.load(session, [f"call:{call_id}"]) == {}
        assert await ctx.keys.load(session, [f"call:{kept_upload.data['call_id']}"]) != {}
    assert transcript_key(org, call_id) not in await ctx.objects.keys(f"transcripts/{org}/")
    with pytest.raises(ObjectNotFound):
        await ctx.objects.read(ObjectRef(**announced.data["transcript"]))
    assert (await client.transcript(org, call_id)).status_code == 404
    assert (await client.transcript(org, kept_upload.data["call_id"])).status_code == 200

    # A replay of the upload (as a new event, so the inbox cannot catch it) does nothing.
    replay = await uploader.send(replayed(upload))
    await wait_until(lambda: handled(ctx, replay))
    await transcribed.drain()
    assert len(transcribed.matching(call_id=call_id)) == 1
    assert await record_of(ctx, call_id) is None


async def test_erasing_a_participant_removes_every_call_they_took_part_in(
    uploader, transcribed, erasures, ctx, brief_call
):
    org = new_org()
    email_fp = uploader.fp("prospect@buyer.test")
    taken, _ = await _transcribed_call(
        uploader, transcribed, brief_call, org, participants=[participant(fp=email_fp)]
    )
    restricted = await uploader.upload(
        org, b"not audio", participants=[participant(fp=email_fp)], restricted=True
    )
    other, _ = await _transcribed_call(
        uploader,
        transcribed,
        brief_call,
        org,
        participants=[participant(fp=uploader.fp("someone@else.test"))],
    )
    await wait_until(lambda: handled(ctx, restricted))

    done = await _erase(uploader, erasures, org, Subject(type="participant", fingerprint=email_fp))

    assert done.data["removed"]["transcripts"] == 1
    assert done.data["removed"]["calls"] == 2
    assert await record_of(ctx, taken.data["call_id"]) is None
    assert await record_of(ctx, restricted.data["call_id"]) is None
    assert await record_of(ctx, other.data["call_id"]) is not None


async def test_an_upload_made_before_the_erasure_that_arrives_after_it_is_not_transcribed(
    uploader, transcribed, erasures, ctx, brief_call
):
    org = new_org()
    email_fp = uploader.fp("late@buyer.test")
    call_id = str(uuid.uuid4())
    _, url = await uploader.put_recording(org, call_id, brief_call.read_bytes())
    late = uploader.call_uploaded(org, call_id, url, participants=[participant(fp=email_fp)])
    await _erase(uploader, erasures, org, Subject(type="participant", fingerprint=email_fp))

    await uploader.send(late)  # made before the erasure, delivered after it
    await wait_until(lambda: handled(ctx, late))
    await transcribed.drain()
    assert transcribed.matching(call_id=call_id) == []
    assert await record_of(ctx, call_id) is None

    # A new recording with the same person, made after the erasure, is processed.
    fresh, _ = await _transcribed_call(
        uploader, transcribed, brief_call, org, participants=[participant(fp=email_fp)]
    )
    assert (await record_of(ctx, fresh.data["call_id"])).status == CallStatus.TRANSCRIBED  # type: ignore[union-attr]


async def test_erasing_a_user_removes_the_calls_they_uploaded(
    uploader, transcribed, erasures, ctx, brief_call
):
    org = new_org()
    mine, _ = await _transcribed_call(
        uploader, transcribed, brief_call, org, uploader="leaving-user"
    )
    theirs, _ = await _transcribed_call(
        uploader, transcribed, brief_call, org, uploader="staying-user"
    )

    done = await _erase(uploader, erasures, org, Subject(type="user", id="leaving-user"))

    assert done.data["removed"]["transcripts"] == 1
    assert await record_of(ctx, mine.data["call_id"]) is None
    assert await record_of(ctx, theirs.data["call_id"]) is not None


async def test_erasing_an_organization_removes_all_of_it_and_nothing_of_others(
    uploader, transcribed, erasures, ctx, brief_call
):
    org, neighbour = new_org(), new_org()
    for _ in range(2):
        await _transcribed_call(uploader, transcribed, brief_call, org)
    survivor, _ = await _transcribed_call(uploader, transcribed, brief_call, neighbour)

    done = await _erase(uploader, erasures, org, Subject(type="organization", id=org))

    assert done.data["removed"]["transcripts"] == 2
    assert await count_records(ctx, org) == 0
    assert await ctx.objects.keys(f"transcripts/{org}/") == []
    assert await record_of(ctx, survivor.data["call_id"]) is not None
    assert await ctx.objects.keys(f"transcripts/{neighbour}/") != []


async def test_an_erasure_addressed_to_other_services_changes_nothing_here(
    uploader, transcribed, erasures, ctx, brief_call
):
    org = new_org()
    upload, _ = await _transcribed_call(uploader, transcribed, brief_call, org)
    request = erasure_requested("call", upload.data["call_id"], services=["ingest"])
    request_id = request.request_id
    sent = await uploader.publish(request, org=org)
    await wait_until(lambda: handled(ctx, sent))
    await erasures.drain()
    assert erasures.matching(request_id=request_id) == []
    assert await record_of(ctx, upload.data["call_id"]) is not None


async def test_an_unusable_subject_is_answered_as_a_failed_erasure(uploader, erasures):
    done = await _erase(uploader, erasures, new_org(), Subject(type="participant"))
    assert done.data["status"] == "failed"
    assert "fingerprint" in done.data["details"]


async def test_an_export_holds_the_subjects_transcripts_encrypted(
    uploader, transcribed, exports, client, ctx, brief_call
):
    org = new_org()
    upload, _ = await _transcribed_call(
        uploader, transcribed, brief_call, org, uploader="exporting-user"
    )
    await _transcribed_call(uploader, transcribed, brief_call, org, uploader="someone-else")
    subject = Subject(type="user", id="exporting-user")
    request_id = str(uuid.uuid4())

    await uploader.publish(ExportRequested(request_id=request_id, subject=subject), org=org)
    part = await exports.wait_for_data(request_id=request_id)

    assert part.data["service"] == "transcribe" and part.data["status"] == "ready"
    assert part.data["items"] == 1
    blob = await ctx.objects.read(ObjectRef(**part.data["part"]))
    assert blob[:4] == b"CTR1" and b"utterances" not in blob
    document = json.loads(ctx.keyring.decrypt(blob))
    assert document["service"] == "transcribe"
    assert document["subject"] == subject.model_dump(mode="json")
    [item] = document["items"]
    assert item["call_id"] == upload.data["call_id"]
    served = (await client.transcript(org, upload.data["call_id"])).json()
    assert item["transcript"] == served


async def test_an_export_about_nobody_here_is_an_empty_part(uploader, exports):
    request_id = str(uuid.uuid4())
    await uploader.publish(
        ExportRequested(request_id=request_id, subject=Subject(type="user", id="nobody")),
        org=new_org(),
    )
    part = await exports.wait_for_data(request_id=request_id)
    assert part.data["part"] is None and part.data["items"] == 0


async def test_a_restricted_participant_s_next_calls_are_not_processed_until_lifted(
    uploader, transcribed, ctx, brief_call
):
    org = new_org()
    email_fp = uploader.fp("private@buyer.test")

    async def restriction(restricted: bool) -> None:
        sent = await uploader.publish(
            SubjectRestricted(
                request_id=str(uuid.uuid4()),
                subject=Subject(type="participant", fingerprint=email_fp),
                restricted=restricted,
            ),
            org=org,
        )
        await wait_until(lambda: handled(ctx, sent))

    await restriction(True)
    held = await uploader.upload(
        org, brief_call.read_bytes(), participants=[participant(fp=email_fp)]
    )
    await wait_until(lambda: handled(ctx, held))
    assert (await record_of(ctx, held.data["call_id"])).status == CallStatus.RESTRICTED  # type: ignore[union-attr]

    await restriction(False)
    again = await uploader.send(replayed(held))  # ingest re-announces the call
    await transcribed.wait_for_data(call_id=held.data["call_id"])
    assert await handled(ctx, again)
    assert (await record_of(ctx, held.data["call_id"])).status == CallStatus.TRANSCRIBED  # type: ignore[union-attr]
