"""call-transcribed → score → call-scored on the real broker, S3 and database; the scores API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from clashtor_common.crypto import DataKey
from clashtor_common.datakeys import call_key_id
from clashtor_common.testing.kafka import topic_reader_fixture
from clashtor_common.testing.keys import ProducerKeys, producer_url
from score.adapters.tables import TABLES, CallScoreRecord
from score.domain.scorecard_templates import bant_template, meddic_template
from score.domain.scoring import score_call

from .support import (
    DISCOVERY_CALL,
    IDENTITY_SECRET,
    KEYRING,
    SECRET_PHRASES,
    BusCalls,
    RunningScore,
    TopicReader,
    Transcripts,
    event_for,
    new_call,
    new_org,
    publish,
    transcribed,
    wait_until,
)


@pytest.fixture(scope="module")
async def transcribe_keys() -> AsyncIterator[ProducerKeys]:
    """transcribe's data-key API: the keys of the transcripts ``put_keyed`` seals."""
    keys = ProducerKeys(producer_url(), KEYRING, IDENTITY_SECRET)
    await keys.start()
    yield keys
    await keys.stop()


@pytest.fixture(scope="module")
def score_overrides(transcribe_keys: ProducerKeys) -> dict[str, Any]:
    return {"transcribe_url": transcribe_keys.url}


failed = topic_reader_fixture("call-failed", TopicReader)


progressed = topic_reader_fixture("call-progressed", TopicReader)


async def test_a_transcribed_call_is_scored_and_announced(
    score: RunningScore, bus: BusCalls, scored: TopicReader, progressed: TopicReader
) -> None:
    org = new_org()
    call_id, event = await bus.score(org, uploader="rep-7")
    expected = score_call(DISCOVERY_CALL, scorecard=meddic_template())

    assert event.type == "call-scored"
    assert event.key == call_id
    assert event.data == {
        "call_id": call_id,
        "uploader_id": "rep-7",
        "overall_score": expected.overall_score,
        "scorecard": "MEDDIC",
        "engine": "local",
        "trackers": [t.name for t in expected.trackers if t.count > 0],
    }
    assert "decision maker" in event.data["trackers"]
    [started] = await progressed.wait_for(
        lambda e: e.org_id == org and e.data["call_id"] == call_id
    )
    assert started.data == {
        "call_id": call_id,
        "uploader_id": "rep-7",
        "stage": "score",
        "percent": 0,
    }
    resp = await score.score_of(org, call_id)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "scored"
    assert body["roles"] == {"0": "rep", "1": "customer"}
    assert body["metrics"]["talk_ratio_rep"]["value"] == expected.metrics.talk_ratio_rep.value
    assert body["metrics"]["rep_questions"]["value"] == expected.metrics.rep_questions.value == 3
    hits = {t["name"]: t for t in body["trackers"]}
    assert hits["decision maker"]["count"] >= 1
    assert any("final say" in h["quote"] for h in hits["decision maker"]["hits"])
    assert body["scorecard"]["name"] == "MEDDIC"
    assert body["scorecard"]["overall"] == body["overall_score"] == expected.overall_score
    assert {i["key"] for i in body["scorecard"]["items"]} == {
        i.key for i in meddic_template().items
    }
    assert body["feedback"]["strengths"] or body["feedback"]["improvements"]
    assert (body["engine"], body["fallback_reason"]) == ("local", None)


async def test_stored_rows_and_events_never_show_the_transcript(
    score: RunningScore, bus: BusCalls
) -> None:
    org = new_org()
    call_id = await bus.scored_id(org)
    resp = await score.score_of(org, call_id)
    assert "final say" in resp.text  # the API shows it, decrypted, to the org's members

    raw: list[bytes] = []
    async with score.ctx.db.engine.connect() as conn:
        for table in [*(t.__tablename__ for t in TABLES), "outbox"]:  # type: ignore[attr-defined]
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                for value in row:
                    raw.append(value if isinstance(value, bytes) else str(value).encode())
    blob = b"\n".join(raw)
    assert call_id.encode() in blob  # the rows are there ...
    for phrase in SECRET_PHRASES:  # ... but no phrase of the call, in any column
        assert phrase.encode() not in blob
        assert phrase.lower().encode() not in blob.lower()


async def test_the_same_event_twice_and_a_replay_score_the_call_once(
    score: RunningScore, bus: BusCalls, scored: TopicReader
) -> None:
    org = new_org()
    call_id = new_call()
    first = await bus.transcribed(org, call_id)
    replay = await bus.transcribed(org, call_id)  # new event id, same call
    marker_id = new_call()
    marker = await bus.transcribed(org, marker_id)

    await bus.publish(first, first, replay)
    await bus.publish(marker)
    await scored.wait_for(lambda e: e.org_id == org and e.data["call_id"] == marker_id)
    await scored.wait_for(lambda e: e.org_id == org and e.data["call_id"] == call_id)
    for _ in range(5):  # anything still in flight has had time to land
        await scored.poll()

    assert len(scored.about(org, call_id)) == 1
    async with score.ctx.db.session() as session:
        rec = await session.get(CallScoreRecord, (org, call_id))
    assert rec is not None and rec.times_scored == 1
    assert rec.source_event_id == str(first.id)


async def test_a_score_answers_304_to_its_etag_until_it_changes(
    score: RunningScore, bus: BusCalls
) -> None:
    """The gateway revalidates the scores of the call views it holds: a current ETag gets
    a bodiless 304 for who may see the score, a correction makes a new one."""
    org = new_org()
    call_id = await bus.scored_id(org)
    first = await score.score_of(org, call_id)
    etag = first.headers["etag"]
    path = f"/internal/scores/{call_id}"

    async def asking(org_id: str, **member: Any) -> httpx.Response:
        headers = {**score.as_member(org_id, **member), "If-None-Match": etag}
        return await score.client.get(path, headers=headers)

    again = await asking(org)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert (await asking(new_org())).status_code == 404
    assert (await asking(org, role="rep", user_id="someone-else")).status_code == 404
    corrected = await score.client.put(
        f"{path}/roles", json={"roles": {"0": "customer"}}, headers=score.as_member(org)
    )
    assert corrected.status_code == 200, corrected.text
    changed = await asking(org)
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["roles"]["0"] == "customer"


async def test_a_role_correction_rescores_the_call_and_announces_it_again(
    score: RunningScore, bus: BusCalls, scored: TopicReader
) -> None:
    org = new_org()
    call_id = await bus.scored_id(org)
    before = (await score.score_of(org, call_id)).json()

    resp = await score.client.put(
        f"/internal/scores/{call_id}/roles",
        json={"roles": {"0": "customer", "1": "rep"}},
        headers=score.as_member(org, role="rep", user_id="rep-1"),
    )

    assert resp.status_code == 200, resp.text
    after = resp.json()
    assert after["roles"] == {"0": "customer", "1": "rep"}
    assert after["role_basis"] == {"0": "override", "1": "override"}
    assert after["role_override"] == {"0": "customer", "1": "rep"}
    assert after["metrics"]["talk_ratio_rep"]["value"] == pytest.approx(
        before["metrics"]["talk_ratio_customer"]["value"], abs=1e-3
    )
    assert after["times_scored"] == 2
    assert (await score.score_of(org, call_id)).json()["roles"] == after["roles"]
    events = await scored.wait_for(
        lambda e: e.org_id == org and e.data["call_id"] == call_id, count=2
    )
    assert len({e.id for e in events}) == 2
    assert events[-1].data["overall_score"] == after["overall_score"]


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"5": "rep"}, "speaker 5 is not in this call"),
        ({"0": "boss"}, "allowed: 'rep', 'customer'"),
        ({"zero": "rep"}, "is not a speaker number"),
        ({}, "at least one speaker"),
    ],
)
async def test_a_role_correction_that_makes_no_sense_answers_422(
    score: RunningScore, bus: BusCalls, roles: dict[str, str], message: str
) -> None:
    org = new_org()
    call_id = await bus.scored_id(org)
    resp = await score.client.put(
        f"/internal/scores/{call_id}/roles", json={"roles": roles}, headers=score.as_member(org)
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_error"
    assert message in resp.json()["error"]["message"]
    assert (await score.score_of(org, call_id)).json()["times_scored"] == 1


async def test_an_edited_scorecard_rescores_past_calls_when_asked(
    score: RunningScore, bus: BusCalls, scored: TopicReader
) -> None:
    org = new_org()
    admin = score.as_member(org)
    created = await score.client.post(
        "/internal/scorecards", json={"template": "bant", "activate": True}, headers=admin
    )
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["name"], card["active"], card["version"]) == ("BANT", True, 1)
    call_id = await bus.scored_id(org)
    before = (await score.score_of(org, call_id)).json()
    assert before["scorecard"]["scorecard_id"] == card["id"]
    expected_before = score_call(DISCOVERY_CALL, scorecard=bant_template()).overall_score
    assert before["overall_score"] == expected_before

    # Keep only the timeline item, which this call covers ("next quarter").
    items = [i for i in card["items"] if i["key"] == "timeline"]
    edited = await score.client.put(
        f"/internal/scorecards/{card['id']}?rescore=true",
        json={"name": "BANT (timeline only)", "items": items},
        headers=admin,
    )

    assert edited.status_code == 200, edited.text
    body = edited.json()
    job = body["rescore"]
    assert (body["version"], job["reason"], job["scorecard_id"], job["total"]) == (
        2,
        "scorecard",
        card["id"],
        1,
    )

    async def finished() -> bool:
        got = await score.client.get(f"/internal/rescore-jobs/{job['id']}", headers=admin)
        return bool(got.json()["status"] == "completed" and got.json()["percent"] == 100)

    await wait_until(finished)
    after = (await score.score_of(org, call_id)).json()
    assert after["scorecard"]["version"] == 2
    assert after["scorecard"]["name"] == "BANT (timeline only)"
    assert [i["key"] for i in after["scorecard"]["items"]] == ["timeline"]
    assert after["overall_score"] == 100.0 != before["overall_score"]
    assert after["roles"] == before["roles"]
    [*_, last] = await scored.wait_for(
        lambda e: e.org_id == org and e.data["call_id"] == call_id, count=2
    )
    assert last.data["scorecard"] == "BANT (timeline only)"


async def test_an_edit_without_rescore_leaves_past_results_alone(
    score: RunningScore, bus: BusCalls
) -> None:
    org = new_org()
    admin = score.as_member(org)
    card = (
        await score.client.post(
            "/internal/scorecards", json={"template": "meddic", "activate": True}, headers=admin
        )
    ).json()
    call_id = await bus.scored_id(org)
    before = (await score.score_of(org, call_id)).json()
    edited = await score.client.put(
        f"/internal/scorecards/{card['id']}", json={"name": "Ours"}, headers=admin
    )
    assert edited.json()["rescore"] is None
    assert (await score.score_of(org, call_id)).json()["scorecard"] == before["scorecard"]


async def test_a_transcript_that_is_gone_fails_the_call_with_transcript_gone(
    score: RunningScore, bus: BusCalls, transcripts: Transcripts, failed: TopicReader
) -> None:
    org = new_org()
    call_id = new_call()
    event = await bus.transcribed(org, call_id)
    await transcripts.delete(call_id)  # erased upstream before score got to it

    await bus.publish(event)

    [event] = await failed.wait_for(lambda e: e.org_id == org and e.data["call_id"] == call_id)
    assert (event.data["stage"], event.data["code"]) == ("score", "transcript_gone")
    assert event.data["uploader_id"]  # whom the gateway tells
    body = (await score.score_of(org, call_id)).json()
    assert body["status"] == "failed"
    assert body["failure"]["code"] == "transcript_gone"
    assert body["metrics"] is None


async def test_a_transcript_under_its_own_key_is_opened_with_the_key_asked_of_transcribe(
    score: RunningScore,
    kafka_bootstrap: str,
    transcripts: Transcripts,
    transcribe_keys: ProducerKeys,
    scored: TopicReader,
    failed: TopicReader,
) -> None:
    org = new_org()
    kept, erased = new_call(), new_call()
    for call_id in (kept, erased):
        key = transcribe_keys.keys[call_key_id(call_id)] = DataKey.generate(call_key_id(call_id))
        ref = await transcripts.put(call_id, DISCOVERY_CALL, key=key)
        event = transcribed(call_id, ref, transcript_key_id=key.id)
        if call_id == erased:  # transcribe erased it: a backup of the object is all that is left
            del transcribe_keys.keys[key.id]
        await publish(kafka_bootstrap, event_for(event, org, key=call_id))

    await scored.wait_for(lambda e: e.org_id == org and e.data["call_id"] == kept)
    [gone] = await failed.wait_for(lambda e: e.org_id == org and e.data["call_id"] == erased)
    assert gone.data["code"] == "transcript_gone"
    assert {call_key_id(kept), call_key_id(erased)} <= set(transcribe_keys.requests)
    assert (await score.score_of(org, kept)).json()["status"] == "scored"


async def test_a_transcript_that_breaks_the_schema_fails_the_call(
    score: RunningScore, bus: BusCalls, failed: TopicReader
) -> None:
    org = new_org()
    call_id = new_call()
    await bus.publish(
        await bus.transcribed(org, call_id, b'{"language": "en", "utterances": "nope"}')
    )
    [event] = await failed.wait_for(lambda e: e.org_id == org and e.data["call_id"] == call_id)
    assert event.data["code"] == "transcript_invalid"


async def test_new_tracker_phrases_are_found_in_calls_scored_after(
    score: RunningScore, bus: BusCalls
) -> None:
    org = new_org()
    admin = score.as_member(org)
    listed = await score.client.get("/internal/trackers", headers=admin)
    assert {t["name"] for t in listed.json()["items"]} >= {"pricing", "next steps", "objections"}
    created = await score.client.post(
        "/internal/trackers",
        json={"name": "ramp time", "phrases": ["ramp", "six months"], "said_by": "customer"},
        headers=admin,
    )
    assert created.status_code == 201, created.text

    call_id = await bus.scored_id(org)

    trackers = {t["name"]: t for t in (await score.score_of(org, call_id)).json()["trackers"]}
    ramp = trackers["ramp time"]
    assert ramp["count"] == 2  # "six months" and "ramp" by the customer; the rep's "ramp" not
    assert {h["role"] for h in ramp["hits"]} == {"customer"}


# --- who sees what --------------------------------------------------------------------------
async def test_another_organization_gets_404_for_a_call_score(
    score: RunningScore, bus: BusCalls
) -> None:
    org, other = new_org(), new_org()
    call_id = await bus.scored_id(org)
    assert (await score.score_of(other, call_id)).status_code == 404
    resp = await score.client.put(
        f"/internal/scores/{call_id}/roles",
        json={"roles": {"0": "customer"}},
        headers=score.as_member(other),
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


async def test_a_rep_sees_only_their_own_calls_and_a_manager_their_team(
    score: RunningScore, bus: BusCalls
) -> None:
    org = new_org()
    mine = await bus.scored_id(org, uploader="rep-a")
    theirs = await bus.scored_id(org, uploader="rep-b")

    as_a = {"role": "rep", "user_id": "rep-a"}
    assert (await score.score_of(org, mine, **as_a)).status_code == 200
    assert (await score.score_of(org, theirs, **as_a)).status_code == 404
    correction = await score.client.put(
        f"/internal/scores/{theirs}/roles",
        json={"roles": {"0": "customer"}},
        headers=score.as_member(org, **as_a),
    )
    assert correction.status_code == 404
    lead = {"role": "manager", "user_id": "mgr-1", "team": ("rep-b",)}
    assert (await score.score_of(org, theirs, **lead)).status_code == 200
    assert (await score.score_of(org, mine, **lead)).status_code == 404
    assert (await score.score_of(org, mine, role="compliance", user_id="c-1")).status_code == 200


async def test_the_scores_api_requires_the_signed_identity(score: RunningScore) -> None:
    resp = await score.client.get(f"/internal/scores/{new_call()}")
    assert resp.status_code == 401
    forged = {"X-Clashtor-Identity": "not-a-token"}
    assert (await score.client.get("/internal/trackers", headers=forged)).status_code == 401


# --- coaching configuration: trackers and scorecards -----------------------------------------
async def test_trackers_can_be_listed_created_edited_and_deleted(score: RunningScore) -> None:
    org = new_org()
    admin = score.as_member(org)
    defaults = (await score.client.get("/internal/trackers", headers=admin)).json()["items"]
    pricing = next(t for t in defaults if t["name"] == "pricing")

    edited = await score.client.put(
        f"/internal/trackers/{pricing['id']}",
        json={**pricing, "name": "Money", "enabled": False},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["enabled"]) == ("Money", False)
    assert edited.json()["phrases"] == pricing["phrases"]
    fetched = await score.client.get(f"/internal/trackers/{pricing['id']}", headers=admin)
    assert fetched.json()["name"] == "Money"

    deleted = await score.client.delete(f"/internal/trackers/{pricing['id']}", headers=admin)
    assert deleted.status_code == 204
    names = [
        t["name"]
        for t in (await score.client.get("/internal/trackers", headers=admin)).json()["items"]
    ]
    assert "Money" not in names and len(names) == len(defaults) - 1
    gone = await score.client.get(f"/internal/trackers/{pricing['id']}", headers=admin)
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "Pricing", "phrases": ["x"]}, 409, "already exists"),
        ({"name": "empty", "phrases": []}, 422, "phrases"),
        ({"name": "dots", "phrases": ["..."]}, 422, "has no words to match"),
        ({"name": "who", "phrases": ["a"], "said_by": "boss"}, 422, "said_by"),
        ({"phrases": ["a"]}, 422, "name"),
        ({"name": "x", "phrases": ["a"], "colour": "red"}, 422, "colour"),
    ],
)
async def test_a_tracker_that_breaks_the_rules_is_refused_with_the_reason(
    score: RunningScore, body: dict[str, Any], status: int, message: str
) -> None:
    resp = await score.client.post(
        "/internal/trackers", json=body, headers=score.as_member(new_org())
    )
    assert resp.status_code == status
    assert message in resp.json()["error"]["message"]


async def test_only_owners_admins_and_managers_change_coaching_configuration(
    score: RunningScore,
) -> None:
    org = new_org()
    for role in ("rep", "compliance"):
        headers = score.as_member(org, role=role, user_id=f"{role}-1")
        tracker = await score.client.post(
            "/internal/trackers", json={"name": "t", "phrases": ["t"]}, headers=headers
        )
        card = await score.client.post(
            "/internal/scorecards", json={"template": "bant"}, headers=headers
        )
        assert (tracker.status_code, card.status_code) == (403, 403)
        assert (await score.client.get("/internal/trackers", headers=headers)).status_code == 200
    manager = score.as_member(org, role="manager", user_id="m-1")
    created = await score.client.post(
        "/internal/scorecards", json={"template": "bant"}, headers=manager
    )
    assert created.status_code == 201


async def test_scorecards_from_templates_or_own_items_and_the_active_one(
    score: RunningScore,
) -> None:
    org = new_org()
    admin = score.as_member(org)
    templates = (await score.client.get("/internal/scorecards/templates", headers=admin)).json()
    assert [(t["key"], t["default"]) for t in templates["items"]] == [
        ("meddic", True),
        ("bant", False),
    ]
    empty = (await score.client.get("/internal/scorecards", headers=admin)).json()
    assert empty == {
        "items": [],
        "next_cursor": None,
        "active_scorecard_id": None,
        "default_template": "meddic",
    }

    own = await score.client.post(
        "/internal/scorecards",
        json={
            "name": "Discovery basics",
            "items": [
                {
                    "key": "pain",
                    "question": "Did the customer describe a problem?",
                    "cues": [{"type": "phrase", "phrases": ["manual"], "said_by": "customer"}],
                }
            ],
        },
        headers=admin,
    )
    assert own.status_code == 201, own.text
    card = own.json()
    assert (card["methodology"], card["template"], card["active"]) == ("custom", None, False)
    activated = await score.client.post(
        f"/internal/scorecards/{card['id']}/activate", headers=admin
    )
    assert activated.json()["active"] is True
    listed = (await score.client.get("/internal/scorecards", headers=admin)).json()
    assert listed["active_scorecard_id"] == card["id"]

    deleted = await score.client.delete(f"/internal/scorecards/{card['id']}", headers=admin)
    assert deleted.status_code == 204
    listed = (await score.client.get("/internal/scorecards", headers=admin)).json()
    assert (listed["items"], listed["active_scorecard_id"]) == ([], None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"template": "spin"}, "unknown template 'spin'"),
        ({"name": "no items"}, "needs a template"),
        ({"name": "x", "items": []}, "items"),
        (
            {
                "name": "bad metric",
                "items": [
                    {"key": "a", "question": "q", "cues": [{"type": "metric", "metric": "iq"}]}
                ],
            },
            "unknown metric 'iq'",
        ),
        (
            {
                "name": "twice",
                "items": [
                    {"key": "a", "question": "q", "cues": [{"type": "tracker", "tracker": "t"}]},
                    {"key": "a", "question": "q", "cues": [{"type": "tracker", "tracker": "t"}]},
                ],
            },
            "repeated: ['a']",
        ),
    ],
)
async def test_a_scorecard_that_breaks_the_rules_answers_422(
    score: RunningScore, body: dict[str, Any], message: str
) -> None:
    resp = await score.client.post(
        "/internal/scorecards", json=body, headers=score.as_member(new_org())
    )
    assert resp.status_code == 422
    assert message in resp.json()["error"]["message"]


async def test_another_organizations_trackers_and_scorecards_answer_404(
    score: RunningScore,
) -> None:
    org, other = new_org(), new_org()
    mine = score.as_member(org)
    theirs = score.as_member(other)
    tracker = (
        await score.client.post(
            "/internal/trackers", json={"name": "t", "phrases": ["t"]}, headers=mine
        )
    ).json()
    card = (
        await score.client.post("/internal/scorecards", json={"template": "bant"}, headers=mine)
    ).json()
    for method, path, body in [
        ("GET", f"/internal/trackers/{tracker['id']}", None),
        ("PUT", f"/internal/trackers/{tracker['id']}", {"name": "mine now"}),
        ("DELETE", f"/internal/trackers/{tracker['id']}", None),
        ("GET", f"/internal/scorecards/{card['id']}", None),
        ("PUT", f"/internal/scorecards/{card['id']}", {"name": "mine now"}),
        ("POST", f"/internal/scorecards/{card['id']}/activate", None),
        ("DELETE", f"/internal/scorecards/{card['id']}", None),
    ]:
        resp = await score.client.request(method, path, json=body, headers=theirs)
        assert resp.status_code == 404, (method, path)
    assert (await score.client.get(f"/internal/scorecards/{card['id']}", headers=mine)).json()[
        "name"
    ] == "BANT"


async def test_first_reads_of_trackers_at_once_agree_on_one_copy_of_the_defaults(
    score: RunningScore,
) -> None:
    org = new_org()
    headers = score.as_member(org, role="rep", user_id="rep-1")
    answers = await asyncio.gather(
        *(score.client.get("/internal/trackers", headers=headers) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [200] * 4
    ids = [sorted(t["id"] for t in a.json()["items"]) for a in answers]
    assert all(i == ids[0] for i in ids) and len(ids[0]) == 7


async def test_trackers_and_scorecards_are_listed_a_page_at_a_time(score: RunningScore) -> None:
    org = new_org()
    admin = score.as_member(org)
    for template in ("bant", "meddic", "bant"):
        made = await score.client.post(
            "/internal/scorecards", json={"template": template}, headers=admin
        )
        assert made.status_code == 201, made.text

    for path in ("/internal/trackers", "/internal/scorecards"):
        whole = (await score.client.get(path, params={"limit": 200}, headers=admin)).json()
        assert whole["next_cursor"] is None and len(whole["items"]) >= 3, path
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await score.client.get(path, params=params, headers=admin)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [item["id"] for item in whole["items"]], path
        forged = await score.client.get(path, params={"cursor": "WzEsMl0"}, headers=admin)
        assert forged.status_code == 422, forged.text
        assert forged.json()["error"]["errors"][0]["field"] == "cursor"
