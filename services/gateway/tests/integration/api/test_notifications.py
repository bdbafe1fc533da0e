"""/v1/notifications: a call-scored event tells the uploader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clashtor_common.events import CallFailed, CallScored, EventPayload, Topic, make_event


def _consumer(api: Any, topic: str) -> Any:
    return next(c for c in api.app.state.runtime.consumers if c.topic == topic)


def _scored(call_id: str, uploader_id: str) -> CallScored:
    return CallScored(
        call_id=call_id,
        uploader_id=uploader_id,
        overall_score=0.8,
        scorecard="meddic",
        engine="local",
    )


def _failed(call_id: str, uploader_id: str) -> CallFailed:
    return CallFailed(
        call_id=call_id,
        uploader_id=uploader_id,
        stage="transcribe",
        code="undecodable_audio",
        reason="ffmpeg could not read the file",
    )


FINISHED = [
    pytest.param(
        Topic.CALL_SCORED,
        _scored,
        "call_scored",
        {"overall_score": 0.8, "scorecard": "meddic"},
        id="scored",
    ),
    pytest.param(
        Topic.CALL_FAILED,
        _failed,
        "call_failed",
        {"stage": "transcribe", "code": "undecodable_audio"},
        id="failed",
    ),
]


@pytest.mark.parametrize(("topic", "payload", "kind", "data"), FINISHED)
async def test_a_finished_call_notifies_its_uploader_once_and_nobody_under_another_org(
    api: Any,
    topic: Topic,
    payload: Callable[[str, str], EventPayload],
    kind: str,
    data: dict[str, Any],
) -> None:
    owner, rep = await api.team("rep")
    event = make_event(payload("call-1", rep.user_id), source="score", org_id=owner.org_id)
    consumer = _consumer(api, topic.value)
    assert await consumer.apply(event) is True
    assert await consumer.apply(event) is False  # a redelivery changes nothing
    notes = (await rep.client.get("/v1/notifications")).json()["items"]
    assert [(n["kind"], n["call_id"]) for n in notes] == [(kind, "call-1")]
    assert notes[0]["data"] == data
    assert (await owner.client.get("/v1/notifications")).json()["items"] == []

    read = await rep.client.post(f"/v1/notifications/{notes[0]['id']}/read")
    assert read.status_code == 204
    unread = await rep.client.get("/v1/notifications", params={"unread": True})
    assert unread.json()["items"] == []

    other = await api.signup()  # the same call under another org tells nobody there
    foreign = make_event(payload("call-1", rep.user_id), source="score", org_id=other.org_id)
    assert await consumer.apply(foreign) is True
    assert len((await rep.client.get("/v1/notifications")).json()["items"]) == 1


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
