"""Coaching on a call on the real broker, S3 and database: comments pinned to a moment,
threads, mentions announced through the outbox, the manager's item-by-item review, and
both as personal data (sealed, erased, exported)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from clashtor_common.events import ExportRequested, ObjectRef, Subject
from clashtor_common.testing.events import comment_body, erasure_requested
from clashtor_common.testing.kafka import topic_reader_fixture

from .support import (
    KEYRING,
    BusCalls,
    RunningScore,
    TopicReader,
    Transcripts,
    event_for,
    new_org,
    publish,
)

SECRET = "the-champion-is-Zorbafile"


mentioned = topic_reader_fixture("comment-mentioned", TopicReader)
erased = topic_reader_fixture("erasure-completed", TopicReader)
exported = topic_reader_fixture("export-part-ready", TopicReader)


class Coaching:
    """One organization with a scored call by ``rep-1``, reached as any member."""

    def __init__(self, score: RunningScore, org: str, call_id: str) -> None:
        self.score, self.org, self.call_id = score, org, call_id

    def who(self, user: str, role: str, team: tuple[str, ...] = ()) -> dict[str, str]:
        return self.score.as_member(self.org, role=role, user_id=user, team=team)

    @property
    def manager(self) -> dict[str, str]:
        return self.who("mgr-1", "manager", ("rep-1",))

    @property
    def rep(self) -> dict[str, str]:
        return self.who("rep-1", "rep")

    async def comment(self, as_: dict[str, str], **body: Any) -> Any:
        return await self.score.client.post(
            f"/internal/calls/{self.call_id}/comments", json=body, headers=as_
        )

    async def comments(self, as_: dict[str, str], **params: Any) -> Any:
        return await self.score.client.get(
            f"/internal/calls/{self.call_id}/comments", params=params, headers=as_
        )

    async def override(self, as_: dict[str, str], item: str, **body: Any) -> Any:
        return await self.score.client.put(
            f"/internal/calls/{self.call_id}/review/items/{item}", json=body, headers=as_
        )


says = comment_body


@pytest.fixture
async def coaching(score: RunningScore, bus: BusCalls) -> Coaching:
    org = new_org()
    call_id, _ = await bus.score(org, uploader="rep-1")
    return Coaching(score, org, call_id)


async def test_a_comment_at_a_moment_mentions_the_rep_through_an_event_with_ids_only(
    coaching: Coaching, mentioned: TopicReader
) -> None:
    resp = await coaching.comment(
        coaching.manager, at_seconds=42, body=says("Great question ", ("@", "rep-1"), SECRET)
    )
    assert resp.status_code == 201, resp.text
    comment = resp.json()
    assert (comment["at_seconds"], comment["author_id"]) == (42, "mgr-1")
    assert comment["mentions"] == ["rep-1"]
    [event] = await mentioned.wait_for(lambda e: e.data.get("comment_id") == comment["id"])
    assert event.org_id == coaching.org
    assert event.data == {
        "call_id": coaching.call_id,
        "comment_id": comment["id"],
        "author_id": "mgr-1",
        "at_seconds": 42.0,
        "mentioned_user_ids": ["rep-1"],
    }
    assert SECRET not in json.dumps(event.data)

    listed = (await coaching.comments(coaching.rep)).json()
    assert [c["id"] for c in listed["items"]] == [comment["id"]]
    assert listed["items"][0]["body"]["segments"][2]["text"] == SECRET
    assert listed["next_cursor"] is None

    raw = b""
    async with coaching.score.ctx.db.engine.connect() as conn:
        for table in ("score_comments", "outbox"):
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                raw += b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    assert comment["id"].encode() in raw and SECRET.encode() not in raw


async def test_mentioning_yourself_tells_nobody(coaching: Coaching, mentioned: TopicReader) -> None:
    resp = await coaching.comment(coaching.manager, at_seconds=1, body=says(("@", "mgr-1")))
    assert resp.status_code == 201
    other = await coaching.comment(coaching.manager, at_seconds=2, body=says(("@", "rep-1")))
    await mentioned.wait_for(lambda e: e.data.get("comment_id") == other.json()["id"])
    assert not [e for e in mentioned.seen if e.data.get("comment_id") == resp.json()["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"at_seconds": 81, "body": says("after the end")}, "at_seconds_out_of_range"),
        ({"body": says("when?")}, "at_seconds_required"),
        ({"at_seconds": 3, "body": {"segments": []}}, "validation_error"),
        ({"at_seconds": 3, "body": says("   ")}, "validation_error"),
        ({"at_seconds": 3, "body": {"segments": [{"type": "bold", "text": "x"}]}}, None),
        ({"at_seconds": -1, "body": says("x")}, None),
    ],
)
async def test_a_comment_outside_the_call_or_without_words_is_422(
    coaching: Coaching, body: dict[str, Any], code: str | None
) -> None:
    resp = await coaching.comment(coaching.manager, **body)
    assert resp.status_code == 422, resp.text
    if code:
        assert resp.json()["error"]["code"] == code


async def test_another_organization_and_a_rep_who_may_not_see_the_call_get_404(
    coaching: Coaching, score: RunningScore
) -> None:
    first = await coaching.comment(coaching.manager, at_seconds=5, body=says("hi"))
    stranger = score.as_member(new_org(), role="admin", user_id="mgr-1")
    other_rep = coaching.who("rep-2", "rep")
    for who in (stranger, other_rep):
        assert (await coaching.comments(who)).status_code == 404
        assert (await coaching.comment(who, at_seconds=1, body=says("x"))).status_code == 404
        url = f"/internal/calls/{coaching.call_id}/comments/{first.json()['id']}"
        assert (await score.client.delete(url, headers=who)).status_code == 404
        review = f"/internal/calls/{coaching.call_id}/review"
        assert (await score.client.get(review, headers=who)).status_code == 404


async def test_threads_come_by_moment_with_replies_and_a_cursor_continues_them(
    coaching: Coaching,
) -> None:
    late = (await coaching.comment(coaching.manager, at_seconds=60, body=says("late"))).json()
    early = (await coaching.comment(coaching.manager, at_seconds=10, body=says("early"))).json()
    reply = await coaching.comment(coaching.rep, parent_id=early["id"], body=says("thanks"))
    assert reply.status_code == 201
    assert reply.json()["at_seconds"] == 10  # a reply sits at its thread's moment
    nested = await coaching.comment(coaching.rep, parent_id=reply.json()["id"], body=says("x"))
    assert nested.status_code == 422

    page = (await coaching.comments(coaching.rep, limit=1)).json()
    assert [c["id"] for c in page["items"]] == [early["id"]]
    assert [r["body"]["segments"][0]["text"] for r in page["items"][0]["replies"]] == ["thanks"]
    rest = (await coaching.comments(coaching.rep, limit=1, cursor=page["next_cursor"])).json()
    assert [c["id"] for c in rest["items"]] == [late["id"]]
    assert rest["next_cursor"] is None
    forged = await coaching.comments(coaching.rep, cursor="not-a-cursor")
    assert (forged.status_code, forged.json()["error"]["code"]) == (422, "invalid_cursor")


async def test_only_the_author_edits_or_deletes_and_a_thread_keeps_its_replies(
    coaching: Coaching, mentioned: TopicReader
) -> None:
    root = (await coaching.comment(coaching.manager, at_seconds=20, body=says("draft"))).json()
    url = f"/internal/calls/{coaching.call_id}/comments/{root['id']}"
    client = coaching.score.client
    edit = {"body": says("final, ", ("@", "rep-1"))}
    assert (await client.patch(url, json=edit, headers=coaching.rep)).status_code == 403
    edited = await client.patch(url, json=edit, headers=coaching.manager)
    assert edited.status_code == 200 and edited.json()["edited_at"]
    await mentioned.wait_for(lambda e: e.data.get("comment_id") == root["id"])  # newly mentioned

    await coaching.comment(coaching.rep, parent_id=root["id"], body=says("ok"))
    assert (await client.delete(url, headers=coaching.rep)).status_code == 403
    assert (await client.delete(url, headers=coaching.manager)).status_code == 204
    [thread] = (await coaching.comments(coaching.rep)).json()["items"]
    assert thread["deleted"] and thread["body"]["segments"] == []
    assert [r["body"]["segments"][0]["text"] for r in thread["replies"]] == ["ok"]
    assert (await client.delete(url, headers=coaching.manager)).status_code == 404


async def test_a_managers_override_changes_the_calls_score_keeps_the_automatic_and_reverts(
    coaching: Coaching, scored: TopicReader
) -> None:
    before = (await coaching.score.score_of(coaching.org, coaching.call_id)).json()
    assert before["overall_score"] == before["automatic_score"] == 57.1
    resp = await coaching.override(
        coaching.manager, "metrics", score=1, reason="They quantified the pain at 12:30"
    )
    assert resp.status_code == 200, resp.text
    review = resp.json()
    assert (review["overall_score"], review["automatic_score"]) == (71.4, 57.1)
    [active] = review["overrides"]
    assert (active["item"], active["score"], active["automatic_score"]) == ("metrics", 1, 0)
    assert (active["reviewer_id"], active["reason"]) == (
        "mgr-1",
        "They quantified the pain at 12:30",
    )
    await scored.wait_for(
        lambda e: e.data["call_id"] == coaching.call_id and e.data["overall_score"] == 71.4
    )
    shown = (
        await coaching.score.score_of(coaching.org, coaching.call_id, role="rep", user_id="rep-1")
    ).json()
    assert (shown["overall_score"], shown["automatic_score"]) == (71.4, 57.1)
    assert shown["scorecard"]["overall"] == 71.4
    assert shown["scorecard"]["automatic_overall"] == 57.1
    item = next(i for i in shown["scorecard"]["items"] if i["key"] == "metrics")
    assert (item["score"], item["automatic_score"]) == (1, 0)
    assert item["override"]["reason"] == "They quantified the pain at 12:30"

    url = f"/internal/calls/{coaching.call_id}/review/items/metrics"
    reverted = await coaching.score.client.delete(url, headers=coaching.manager)
    assert reverted.status_code == 200
    assert (reverted.json()["overall_score"], reverted.json()["overrides"]) == (57.1, [])
    [audit] = reverted.json()["history"]
    assert (audit["reviewer_id"], audit["reverted_by"]) == ("mgr-1", "mgr-1")
    assert audit["created_at"] and audit["reverted_at"]
    again = await coaching.score.client.delete(url, headers=coaching.manager)
    assert again.status_code == 404


async def test_reps_never_override_nobody_overrides_their_own_call_and_items_must_exist(
    coaching: Coaching,
) -> None:
    reason = {"score": 1, "reason": "because"}
    rep = await coaching.override(coaching.rep, "metrics", **reason)
    assert rep.status_code == 403
    own = await coaching.override(coaching.who("rep-1", "manager"), "metrics", **reason)
    assert (own.status_code, own.json()["error"]["code"]) == (403, "own_call")
    unknown = await coaching.override(coaching.manager, "no_such_item", **reason)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_item")
    for bad in ({"score": 2, "reason": "x"}, {"score": 1, "reason": ""}, {"score": 1}):
        assert (await coaching.override(coaching.manager, "metrics", **bad)).status_code == 422


async def test_erasing_the_call_removes_its_comments_and_reviews(
    coaching: Coaching, kafka_bootstrap: str, erased: TopicReader
) -> None:
    await coaching.comment(coaching.manager, at_seconds=3, body=says("a"))
    await coaching.override(coaching.manager, "metrics", score=1, reason="b")
    done = await _erase(
        kafka_bootstrap, erased, coaching.org, Subject(type="call", id=coaching.call_id)
    )
    assert (done.data["removed"]["comments"], done.data["removed"]["item_reviews"]) == (1, 1)
    async with coaching.score.ctx.db.engine.connect() as conn:
        for table in ("score_comments", "score_item_reviews"):
            rows = await conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE call_id = :c"), {"c": coaching.call_id}
            )
            assert rows.scalar_one() == 0


async def test_a_users_erasure_removes_their_comments_and_their_export_holds_them(
    coaching: Coaching,
    kafka_bootstrap: str,
    erased: TopicReader,
    exported: TopicReader,
    transcripts: Transcripts,
) -> None:
    lone = await coaching.comment(coaching.manager, at_seconds=4, body=says(SECRET))
    root = await coaching.comment(coaching.manager, at_seconds=8, body=says("root", ("@", "rep-1")))
    await coaching.comment(coaching.rep, parent_id=root.json()["id"], body=says("reply"))
    await coaching.override(coaching.manager, "metrics", score=1, reason="why")

    request_id = str(uuid.uuid4())
    subject = Subject(type="user", id="mgr-1")
    await publish(
        kafka_bootstrap,
        event_for(
            ExportRequested(request_id=request_id, subject=subject), coaching.org, key=coaching.org
        ),
    )
    [part] = await exported.wait_for(
        lambda e: e.data["request_id"] == request_id and e.data["service"] == "score"
    )
    document = json.loads(
        KEYRING.decrypt(await transcripts.store.read(ObjectRef(**part.data["part"])))
    )
    kinds = sorted(i["kind"] for i in document["items"])
    assert kinds == ["comment", "comment", "scorecard_review"]
    assert any(
        i.get("body", {}).get("segments", [{}])[0].get("text") == SECRET for i in document["items"]
    )

    done = await _erase(kafka_bootstrap, erased, coaching.org, subject)
    removed = done.data["removed"]
    assert (removed["comments"], removed["comments_emptied"], removed["reviews_anonymised"]) == (
        1,
        1,
        1,
    )
    threads = (await coaching.comments(coaching.rep)).json()["items"]
    assert [t["id"] for t in threads] == [root.json()["id"]]
    assert threads[0]["author_id"] is None and threads[0]["deleted"]
    assert [r["body"]["segments"][0]["text"] for r in threads[0]["replies"]] == ["reply"]
    assert lone.json()["id"] not in json.dumps(threads)
    review = await coaching.score.client.get(
        f"/internal/calls/{coaching.call_id}/review", headers=coaching.rep
    )
    assert review.json()["overrides"][0]["reviewer_id"] is None
    assert review.json()["overall_score"] == 71.4  # the call's reviewed score stays


async def _erase(bootstrap: str, erased: TopicReader, org: str, subject: Subject) -> Any:
    request = erasure_requested(subject)
    await publish(bootstrap, event_for(request, org, key=org))
    [done] = await erased.wait_for(
        lambda e: e.data["request_id"] == request.request_id and e.data["service"] == "score"
    )
    assert done.data["status"] == "completed", done.data
    return done


async def test_each_override_and_each_new_reason_for_it_makes_a_new_score_etag(
    coaching: Coaching,
) -> None:
    """The gateway's cached call view is revalidated with score's ETag: a review must show."""

    async def etag_after(previous: str | None) -> str:
        headers = {**coaching.manager, "If-None-Match": previous or '"none"'}
        resp = await coaching.score.client.get(
            f"/internal/scores/{coaching.call_id}", headers=headers
        )
        assert resp.status_code == 200, "a changed score is sent in full"
        etag: str = resp.headers["etag"]
        again = await coaching.score.client.get(
            f"/internal/scores/{coaching.call_id}", headers={**headers, "If-None-Match": etag}
        )
        assert again.status_code == 304
        return etag

    plain = await etag_after(None)
    for reason in ("They quantified the pain at 12:30", "…and again at 31:05"):
        resp = await coaching.override(coaching.manager, "metrics", score=1, reason=reason)
        assert resp.status_code == 200, resp.text
        plain = await etag_after(plain)
