"""Erasure, export and objection on the running score service (real broker, S3, database)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlmodel import select

from clashtor_common.crypto import fingerprint
from clashtor_common.events import (
    Envelope,
    ExportRequested,
    ObjectRef,
    ParticipantRef,
    Subject,
    SubjectRestricted,
)
from clashtor_common.inbox import InboxRecord
from clashtor_common.s3 import ObjectNotFound
from clashtor_common.testing.events import erasure_requested
from score.adapters.tables import (
    CallParticipantRecord,
    CallScoreRecord,
    ErasedCallRecord,
    TrackerRecord,
)

from .support import (
    KEYRING,
    BusCalls,
    RunningScore,
    TopicReader,
    event_for,
    new_call,
    new_org,
    publish,
    wait_until,
)

SECRET = "score-tests-fingerprints"


@pytest.fixture(scope="module")
async def topics(kafka_bootstrap: str):
    readers = {
        name: await TopicReader(kafka_bootstrap, name).start()
        for name in ("erasure-completed", "export-part-ready")
    }
    yield readers
    for reader in readers.values():
        await reader.stop()


def person(email: str, role: str = "customer") -> ParticipantRef:
    return ParticipantRef(
        participant_id=f"p-{uuid.uuid4().hex[:8]}",
        role=role,  # type: ignore[arg-type]
        fingerprint=fingerprint(SECRET, email),
    )


class Flow:
    def __init__(self, score: RunningScore, bus: BusCalls, topics: dict) -> None:
        self.score = score
        self.bus = bus
        self.bootstrap = bus.bootstrap
        self.topics = topics

    async def scored(self, org: str, **kwargs: Any) -> str:
        return await self.bus.scored_id(org, **kwargs)

    async def erase(self, org: str, subject: Subject, **extra: Any) -> Envelope:
        request = erasure_requested(subject, **extra)
        await publish(self.bootstrap, event_for(request, org, key=org))
        [done] = await self.topics["erasure-completed"].wait_for(
            lambda e: e.data["request_id"] == request.request_id and e.data["service"] == "score"
        )
        return done

    async def status(self, org: str, call_id: str) -> int:
        return (await self.score.score_of(org, call_id)).status_code


@pytest.fixture
def flow(score: RunningScore, bus: BusCalls, topics: dict) -> Flow:
    return Flow(score, bus, topics)


async def test_erasing_a_call_deletes_its_score_and_a_replay_does_not_bring_it_back(
    flow: Flow, score: RunningScore
) -> None:
    org = new_org()
    gone = await flow.scored(org)
    kept = await flow.scored(org)

    done = await flow.erase(org, Subject(type="call", id=gone))

    assert done.data["status"] == "completed"
    assert done.data["removed"]["scores"] == 1
    assert done.data["removed"]["data_keys"] == 1, "the call's key is destroyed"
    assert done.data["kept"][0]["what"].startswith("ids of erased calls")
    assert await flow.status(org, gone) == 404
    assert await flow.status(org, kept) == 200

    # The old call-transcribed is replayed (new event id): nothing is scored again.
    replay = await flow.bus.transcribed(org, gone)
    await flow.bus.publish(replay)
    await wait_until(lambda: handled(score, replay))
    assert await flow.status(org, gone) == 404
    assert len(flow.bus.scored.about(org, gone)) == 1  # only the original announcement
    async with score.ctx.db.session() as session:
        stone = await session.get(ErasedCallRecord, (org, gone))
        assert stone is not None and stone.request_id == done.data["request_id"]
        left = (
            await session.execute(select(CallScoreRecord).where(CallScoreRecord.org_id == org))
        ).scalars()
        assert {r.call_id for r in left} == {kept}


async def test_erasing_a_participant_removes_every_call_they_took_part_in(
    flow: Flow, score: RunningScore
) -> None:
    org = new_org()
    ada, bob = person("ada@example.com"), person("bob@example.com")
    with_ada = [await flow.scored(org, participants=[ada]) for _ in range(2)]
    with_bob = await flow.scored(org, participants=[bob])

    done = await flow.erase(
        org, Subject(type="participant", fingerprint=fingerprint(SECRET, "ADA@example.com "))
    )

    assert done.data["removed"]["scores"] == 2
    assert done.data["removed"]["participants"] == 2
    assert [await flow.status(org, c) for c in with_ada] == [404, 404]
    assert await flow.status(org, with_bob) == 200
    # A call with Ada still in flight when she was erased is never scored.
    late = new_call()
    in_flight = await flow.bus.transcribed(org, late, participants=[ada])
    await flow.bus.publish(in_flight)
    await wait_until(lambda: handled(score, in_flight))
    assert await flow.status(org, late) == 404
    async with score.ctx.db.session() as session:
        rows = (
            await session.execute(
                select(CallParticipantRecord).where(CallParticipantRecord.org_id == org)
            )
        ).scalars()
        assert {r.fingerprint for r in rows} == {bob.fingerprint}


async def test_erasing_a_user_removes_the_calls_they_uploaded(flow: Flow) -> None:
    org = new_org()
    theirs = await flow.scored(org, uploader="rep-gone")
    other = await flow.scored(org, uploader="rep-stays")

    done = await flow.erase(org, Subject(type="user", id="rep-gone"))

    assert done.data["removed"]["scores"] == 1
    assert await flow.status(org, theirs) == 404
    assert await flow.status(org, other) == 200


async def test_erasing_the_organization_removes_calls_and_configuration(
    flow: Flow, score: RunningScore
) -> None:
    org, neighbour = new_org(), new_org()
    admin = score.as_member(org)
    await score.client.post(
        "/internal/trackers", json={"name": "x", "phrases": ["x"]}, headers=admin
    )
    await score.client.post("/internal/scorecards", json={"template": "bant"}, headers=admin)
    calls = [await flow.scored(org, uploader=u) for u in ("rep-1", "rep-2")]
    elsewhere = await flow.scored(neighbour)

    done = await flow.erase(org, Subject(type="organization", id=org))

    removed = done.data["removed"]
    assert (removed["scores"], removed["scorecards"]) == (2, 1)
    assert removed["trackers"] >= 8  # the 7 defaults copied on first use + "x"
    assert [await flow.status(org, c) for c in calls] == [404, 404]
    assert await flow.status(neighbour, elsewhere) == 200
    async with score.ctx.db.session() as session:
        left = (
            await session.execute(select(TrackerRecord).where(TrackerRecord.org_id == org))
        ).all()
        assert left == []


async def test_an_erasure_for_other_services_only_is_not_ours(
    flow: Flow, topics: dict, kafka_bootstrap: str
) -> None:
    org = new_org()
    call_id = await flow.scored(org)
    request = erasure_requested("call", call_id, services=["billing"])
    request_id = request.request_id
    await publish(kafka_bootstrap, event_for(request, org, key=org))
    # A later request that is ours is answered: the earlier one has been handled by then.
    await flow.erase(new_org(), Subject(type="call", id=new_call()))
    assert not [e for e in topics["erasure-completed"].seen if e.data["request_id"] == request_id]
    assert await flow.status(org, call_id) == 200


async def test_a_subject_without_an_id_fails_the_erasure_and_says_why(flow: Flow) -> None:
    done = await flow.erase(new_org(), Subject(type="participant"))
    assert done.data["status"] == "failed"
    assert "fingerprint or a participant id" in done.data["details"]


async def test_export_of_a_user_is_an_encrypted_part_with_their_scores(
    flow: Flow, topics: dict, kafka_bootstrap: str
) -> None:
    org = new_org()
    mine = [await flow.scored(org, uploader="rep-x") for _ in range(2)]
    await flow.scored(org, uploader="rep-y")
    request_id = str(uuid.uuid4())
    subject = Subject(type="user", id="rep-x")

    await publish(
        kafka_bootstrap,
        event_for(ExportRequested(request_id=request_id, subject=subject), org, key=org),
    )

    [part] = await topics["export-part-ready"].wait_for(
        lambda e: e.data["request_id"] == request_id and e.data["service"] == "score"
    )
    assert (part.data["status"], part.data["items"]) == ("ready", 2)
    blob = await flow.bus.transcripts.store.read(ObjectRef(**part.data["part"]))
    assert b"final say" not in blob
    document = json.loads(KEYRING.decrypt(blob))
    assert document["service"] == "score"
    assert document["request_id"] == request_id
    assert document["subject"] == subject.model_dump(mode="json")
    assert sorted(i["call_id"] for i in document["items"]) == sorted(mine)
    item = document["items"][0]
    assert item["kind"] == "call_score"
    assert item["roles"] == {"0": "rep", "1": "customer"}
    assert item["scorecard"]["name"] == "MEDDIC"
    assert item["feedback"]["engine"] == "local"


async def test_an_export_with_nothing_to_export_answers_without_a_part(
    flow: Flow, topics: dict, kafka_bootstrap: str
) -> None:
    request_id = str(uuid.uuid4())
    org = new_org()
    await publish(
        kafka_bootstrap,
        event_for(
            ExportRequested(request_id=request_id, subject=Subject(type="user", id="nobody")),
            org,
            key=org,
        ),
    )
    [part] = await topics["export-part-ready"].wait_for(
        lambda e: e.data["request_id"] == request_id
    )
    assert (part.data["part"], part.data["items"], part.data["status"]) == (None, 0, "ready")


async def test_an_erased_organization_export_part_is_deleted(
    flow: Flow, topics: dict, kafka_bootstrap: str
) -> None:
    org = new_org()
    await flow.scored(org)
    request_id = str(uuid.uuid4())
    await publish(
        kafka_bootstrap,
        event_for(
            ExportRequested(request_id=request_id, subject=Subject(type="organization")),
            org,
            key=org,
        ),
    )
    [part] = await topics["export-part-ready"].wait_for(
        lambda e: e.data["request_id"] == request_id
    )
    kinds = {
        i["kind"]
        for i in json.loads(
            KEYRING.decrypt(await flow.bus.transcripts.store.read(ObjectRef(**part.data["part"])))
        )["items"]
    }
    assert kinds == {"call_score"}

    done = await flow.erase(org, Subject(type="organization"))

    assert done.data["removed"]["export_objects"] == 1
    with pytest.raises(ObjectNotFound):
        await flow.bus.transcripts.store.read(ObjectRef(**part.data["part"]))


async def test_an_objection_takes_the_subjects_calls_out_of_team_analytics(
    flow: Flow, score: RunningScore, kafka_bootstrap: str
) -> None:
    org = new_org()
    carol = person("carol@example.com")
    await flow.scored(org, uploader="rep-a")
    await flow.scored(org, uploader="rep-a", participants=[carol])
    await flow.scored(org, uploader="rep-b")
    admin = score.as_member(org)

    async def team() -> dict[str, Any]:
        resp = await score.client.get("/internal/analytics/team", headers=admin)
        assert resp.status_code == 200
        return resp.json()

    before = await team()
    assert before["calls"] == 3
    assert {r["user_id"]: r["calls"] for r in before["reps"]} == {"rep-a": 2, "rep-b": 1}
    assert before["average_overall_score"] is not None

    async def objection(subject: Subject, objected: bool) -> None:
        await publish(
            kafka_bootstrap,
            event_for(
                SubjectRestricted(request_id=str(uuid.uuid4()), subject=subject, objected=objected),
                org,
                key=org,
            ),
        )

    await objection(Subject(type="participant", fingerprint=carol.fingerprint), True)
    await wait_until(lambda: _calls(score, org, 2))
    await objection(Subject(type="user", id="rep-b"), True)
    await wait_until(lambda: _calls(score, org, 1))
    after = await team()
    assert [r["user_id"] for r in after["reps"]] == ["rep-a"]

    await objection(Subject(type="user", id="rep-b"), False)
    await wait_until(lambda: _calls(score, org, 2))
    rep = await score.client.get(
        "/internal/analytics/team", headers=score.as_member(org, role="rep", user_id="rep-b")
    )
    assert [r["user_id"] for r in rep.json()["reps"]] == ["rep-b"]

    # the weekly trends leave out the same calls, and name the ones they keep
    trends = await score.client.get("/internal/analytics/trends?weeks=2", headers=admin)
    assert trends.status_code == 200, trends.text
    points = {r["user_id"]: r["points"] for r in trends.json()["reps"]}
    assert {user: sum(p["calls"] for p in ps) for user, ps in points.items()} == {
        "rep-a": 1,
        "rep-b": 1,
    }
    assert all(len(p["call_ids"]) == p["calls"] for ps in points.values() for p in ps)
    bad = await score.client.get("/internal/analytics/trends?weeks=0", headers=admin)
    assert bad.status_code == 422


async def _calls(score: RunningScore, org: str, expected: int) -> bool:
    resp = await score.client.get("/internal/analytics/team", headers=score.as_member(org))
    return bool(resp.json()["calls"] == expected)


async def handled(score: RunningScore, event: Envelope) -> bool:
    """The service recorded the event as handled (its inbox row commits with the effect)."""
    async with score.ctx.db.session() as session:
        return (
            await session.get(InboxRecord, (score.ctx.settings.consumer_group, event.id))
            is not None
        )
