"""/v1/notifications: a call-scored event tells the uploader."""

from __future__ import annotations

from typing import Any

from clashtor_common.events import CallFailed, CallScored, Topic, make_event


def _consumer(api: Any, topic: str) -> Any:
    return next(c for c in api.app.state.runtime.consumers if c.topic == topic)


async def test_a_scored_call_notifies_its_uploader_once(api: Any) -> None:
    owner = await api.signup()
    rep = await api.invite(owner, "rep")
    event = make_event(
        CallScored(
            call_id="call-1",
            uploader_id=rep.user_id,
            overall_score=0.8,
            scorecard="meddic",
            engine="local",
        ),
        source="score",
        org_id=owner.org_id,
        key="call-1",
    )
    consumer = _consumer(api, Topic.CALL_SCORED.value)
    assert await consumer.apply(event) is True
    assert await consumer.apply(event) is False  # a redelivery changes nothing
    notes = (await rep.client.get("/v1/notifications")).json()["items"]
    assert len(notes) == 1
    assert notes[0]["kind"] == "call_scored" and notes[0]["call_id"] == "call-1"
    assert notes[0]["data"] == {"overall_score": 0.8, "scorecard": "meddic"}
    assert (await owner.client.get("/v1/notifications")).json()["items"] == []

    read = await rep.client.post(f"/v1/notifications/{notes[0]['id']}/read")
    assert read.status_code == 204
    assert (await rep.client.get("/v1/notifications", params={"unread": True})).json()[
        "items"
    ] == []


async def test_a_rescore_refreshes_the_notification(api: Any) -> None:
    owner = await api.signup()
    consumer = _consumer(api, Topic.CALL_SCORED.value)
    for score in (0.4, 0.9):
        await consumer.apply(
            make_event(
                CallScored(
                    call_id="call-2", uploader_id=owner.user_id, overall_score=score, engine="local"
                ),
                source="score",
                org_id=owner.org_id,
            )
        )
    notes = (await owner.client.get("/v1/notifications")).json()["items"]
    assert [n["data"]["overall_score"] for n in notes] == [0.9]


async def test_an_event_for_another_orgs_user_notifies_nobody(api: Any) -> None:
    alice = await api.signup()
    bob = await api.signup()
    await _consumer(api, Topic.CALL_SCORED.value).apply(
        make_event(
            CallScored(call_id="call-3", uploader_id=bob.user_id, engine="local"),
            source="score",
            org_id=alice.org_id,
        )
    )
    assert (await bob.client.get("/v1/notifications")).json()["items"] == []


async def test_a_failed_call_notifies_its_uploader_once(api: Any) -> None:
    owner = await api.signup()
    rep = await api.invite(owner, "rep")
    event = make_event(
        CallFailed(
            call_id="call-9",
            uploader_id=rep.user_id,
            stage="transcribe",
            code="undecodable_audio",
            reason="ffmpeg could not read the file",
        ),
        source="transcribe",
        org_id=owner.org_id,
        key="call-9",
    )
    consumer = _consumer(api, Topic.CALL_FAILED.value)
    assert await consumer.apply(event) is True
    assert await consumer.apply(event) is False  # a redelivery changes nothing
    notes = (await rep.client.get("/v1/notifications")).json()["items"]
    assert [(n["kind"], n["call_id"]) for n in notes] == [("call_failed", "call-9")]
    assert notes[0]["data"] == {"stage": "transcribe", "code": "undecodable_audio"}
    assert (await owner.client.get("/v1/notifications")).json()["items"] == []

    other = await api.signup()  # the same event under another org tells nobody there
    foreign = make_event(
        CallFailed(call_id="call-9", uploader_id=rep.user_id, stage="score", code="x", reason="y"),
        source="score",
        org_id=other.org_id,
        key="call-9",
    )
    assert await consumer.apply(foreign) is True
    assert len((await rep.client.get("/v1/notifications")).json()["items"]) == 1
