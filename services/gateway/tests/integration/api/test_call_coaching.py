"""/v1/calls/{id}/comments and /mentionable: mentions checked against the members who may
see the call, people named; comment-mentioned notifies the mentioned member."""

from __future__ import annotations

from typing import Any

from clashtor_common.events import CommentMentioned, Topic, make_event
from clashtor_common.testing.events import comment_body

says = comment_body


async def test_a_comment_mentions_only_members_who_may_see_the_call_and_names_people(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    rep = await api.invite(owner, "rep", name="Ray Rep")
    other_rep = await api.invite(owner, "rep", name="Olga Other")
    stranger = await api.signup(organization="Elsewhere")
    call = fake_state.add_call(owner.org_id, rep.user_id)
    url = f"/v1/calls/{call['id']}/comments"

    people = (await owner.client.get(f"/v1/calls/{call['id']}/mentionable")).json()["items"]
    assert {p["id"] for p in people} == {owner.user_id, rep.user_id}
    assert {p["name"] for p in people} >= {"Ray Rep"}

    for outsider in (other_rep.user_id, stranger.user_id, "no-such-user"):
        refused = await owner.client.post(
            url, json={"at_seconds": 42, "body": says("hi ", ("@", outsider))}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "unknown_mention"
    assert fake_state.comments.get(call["id"]) is None  # nothing reached score

    made = await owner.client.post(
        url, json={"at_seconds": 42, "body": says("hi ", ("@", rep.user_id))}
    )
    assert made.status_code == 201, made.text
    assert made.json()["body"]["segments"][1]["name"] == "Ray Rep"
    listed = (await rep.client.get(url)).json()
    assert listed["next_cursor"] is None
    [thread] = listed["items"]
    assert thread["at_seconds"] == 42 and thread["author_name"]


async def test_comment_bodies_are_checked_field_by_field(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}/comments"
    for body in (
        {"at_seconds": 1, "body": {"segments": []}},
        {"at_seconds": -1, "body": says("x")},
        {"at_seconds": 1, "body": {"segments": [{"type": "bold", "text": "x"}]}},
        {"at_seconds": "soon", "body": says("x")},
    ):
        resp = await owner.client.post(url, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["error"]["errors"][0]["field"].startswith(("body", "at_seconds"))


async def test_another_organizations_call_is_404_and_reps_cannot_review(
    api: Any, fake_state: Any
) -> None:
    owner, rep = await api.team("rep")
    stranger = await api.signup(organization="Elsewhere")
    call = fake_state.add_call(owner.org_id, rep.user_id)
    resp = await stranger.client.post(
        f"/v1/calls/{call['id']}/comments", json={"at_seconds": 1, "body": says("x")}
    )
    assert resp.status_code == 404
    assert (await stranger.client.get(f"/v1/calls/{call['id']}/mentionable")).status_code == 404
    override = await rep.client.put(
        f"/v1/calls/{call['id']}/review/items/metrics", json={"score": 1, "reason": "x"}
    )
    assert override.status_code == 403


async def test_a_mention_notifies_the_member_once_and_nobody_of_another_org(api: Any) -> None:
    owner, rep = await api.team("rep")
    stranger = await api.signup(organization="Elsewhere")
    event = make_event(
        CommentMentioned(
            call_id="call-9",
            comment_id="c-1",
            author_id=owner.user_id,
            at_seconds=42,
            mentioned_user_ids=[rep.user_id, stranger.user_id],
        ),
        source="score",
        org_id=owner.org_id,
        key="call-9",
    )
    consumer = next(
        c for c in api.app.state.runtime.consumers if c.topic == Topic.COMMENT_MENTIONED.value
    )
    assert await consumer.apply(event) is True
    assert await consumer.apply(event) is False
    [note] = (await rep.client.get("/v1/notifications")).json()["items"]
    assert (note["kind"], note["call_id"]) == ("mentioned", "call-9")
    assert note["data"] == {"comment_id": "c-1", "author_id": owner.user_id, "at_seconds": 42.0}
    assert (await stranger.client.get("/v1/notifications")).json()["items"] == []
