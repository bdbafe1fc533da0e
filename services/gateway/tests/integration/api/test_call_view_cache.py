"""GET /v1/calls/{id} from the view cache: rebuilt only when a source changed, and still
authorized on every read (the cache warm in every test)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from clashtor_common.events import ErasureCompleted, Subject, Topic, make_event
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.waiting import wait_until

PARTS = ("/internal/transcripts/", "/internal/scores/")


def _scored_call(fake_state: Any, org_id: str, uploader_id: str) -> dict[str, Any]:
    call = fake_state.add_call(org_id, uploader_id, title="Pricing", status="scored")
    fake_state.transcripts[call["id"]] = {
        "org_id": org_id,
        "utterances": [{"speaker": 0, "start": 0.0, "end": 1.0, "text": "Hi.", "words": []}],
    }
    fake_state.scores[call["id"]] = {"org_id": org_id, "roles": {"0": "rep"}, "metrics": {"x": 1}}
    return call


def _cached(api: Any, org_id: str, call_id: str) -> Any:
    return api.app.state.gateway.views.get(org_id, call_id)


async def test_an_unchanged_call_is_revalidated_with_its_parts_etags_not_rebuilt(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    first = await owner.client.get(f"/v1/calls/{call['id']}")
    assert first.status_code == 200 and first.json()["transcript"]["utterances"][0]["role"] == "rep"
    built = _cached(api, owner.org_id, call["id"])
    assert built is not None and built.body == first.content

    seen = len(fake_state.seen)
    again = await owner.client.get(f"/v1/calls/{call['id']}")
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    asked = [s for s in fake_state.seen[seen:] if s.path.startswith(PARTS)]
    assert len(asked) == 2, "transcribe and score are still asked on every read"
    assert {s.headers.get("if-none-match") for s in asked} == {
        built.transcript.etag,
        built.score.etag,
    }
    assert _cached(api, owner.org_id, call["id"]) is built, "answered as built, not rebuilt"


async def test_a_change_in_any_source_is_served_at_once(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    assert (await owner.client.get(url)).status_code == 200

    call["title"] = "Pricing, again"  # ingest's part
    assert (await owner.client.get(url)).json()["title"] == "Pricing, again"
    fake_state.transcripts[call["id"]]["utterances"][0]["text"] = "Hello."  # a new transcript
    assert (await owner.client.get(url)).json()["transcript"]["utterances"][0]["text"] == "Hello."
    fake_state.scores[call["id"]]["roles"] = {"0": "customer"}  # roles corrected, rescored
    view = (await owner.client.get(url)).json()
    assert view["transcript"]["utterances"][0]["role"] == "customer"
    assert view["title"] == "Pricing, again" and view["metrics"] == {"x": 1}
    del fake_state.scores[call["id"]]  # score gone (a participant restricted processing)
    assert (await owner.client.get(url)).json()["metrics"] is None


async def test_a_warm_view_is_refused_to_whoever_ingest_refuses(api: Any, fake_state: Any) -> None:
    owner, rep, manager = await api.team("rep", "manager")
    stranger = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    etag = (await owner.client.get(url)).headers["etag"]
    assert _cached(api, owner.org_id, call["id"]) is not None
    for member in (rep, manager, stranger):  # a colleague's call, not on the team, other org
        for sent in (None, etag, "*"):
            headers = {"If-None-Match": sent} if sent else {}
            resp = await member.client.get(url, headers=headers)
            assert resp.status_code == 404, (member.role, sent)
            assert call["title"] not in resp.text


async def test_an_erased_call_is_never_served_from_the_cache(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    assert (await owner.client.get(url)).status_code == 200
    del fake_state.calls[call["id"]]  # ingest erased it; transcribe and score not yet
    assert (await owner.client.get(url)).status_code == 404
    assert _cached(api, owner.org_id, call["id"]) is None, "nothing of it kept"


async def test_an_erasure_request_drops_the_views_it_concerns(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    calls = [_scored_call(fake_state, owner.org_id, owner.user_id) for _ in range(3)]
    for call in calls:
        assert (await owner.client.get(f"/v1/calls/{call['id']}")).status_code == 200
    consumer = next(
        c for c in api.app.state.runtime.consumers if c.topic == Topic.ERASURE_REQUESTED.value
    )

    async def erase(subject: Subject) -> None:
        event = make_event(
            erasure_requested(subject, request_id="r-" + (subject.id or "")),
            source="privacy",
            org_id=owner.org_id,
        )
        assert await consumer.apply(event)

    await erase(Subject(type="call", id=calls[0]["id"]))
    assert _cached(api, owner.org_id, calls[0]["id"]) is None
    assert _cached(api, owner.org_id, calls[1]["id"]) is not None
    await erase(Subject(type="participant", fingerprint="f" * 64))  # whose calls: ingest knows
    assert [_cached(api, owner.org_id, c["id"]) for c in calls[1:]] == [None, None]


def _consumer(api: Any, topic: Topic) -> Any:
    return next(c for c in api.app.state.runtime.consumers if c.topic == topic.value)


async def _completed(api: Any, org_id: str, service: str) -> None:
    """``service``'s answer to an erasure: it erased, its transaction committed."""
    event = make_event(
        ErasureCompleted(request_id=f"r-{uuid.uuid4()}", service=service),
        source=service,
        org_id=org_id,
    )
    assert await _consumer(api, Topic.ERASURE_COMPLETED).apply(event)


async def test_an_erasure_completed_by_a_source_drops_the_organizations_views(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    other = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    theirs = _scored_call(fake_state, other.org_id, other.user_id)
    assert (await owner.client.get(f"/v1/calls/{call['id']}")).status_code == 200
    assert (await other.client.get(f"/v1/calls/{theirs['id']}")).status_code == 200

    await _completed(api, owner.org_id, "billing")  # holds no part of a view
    assert _cached(api, owner.org_id, call["id"]) is not None
    await _completed(api, owner.org_id, "ingest")
    assert _cached(api, owner.org_id, call["id"]) is None
    assert _cached(api, other.org_id, theirs["id"]) is not None, "another organization's stay"


async def test_a_read_under_way_when_the_erasure_commits_caches_nothing(
    api: Any, fake_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest answers the call, then erases it and says so while transcribe and score
    are still being asked: the view built from that answer is not cached."""
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    services = api.app.state.gateway.services
    get_part = services.get_part

    async def erased_meanwhile(service: str, path: str, **kwargs: Any) -> Any:
        if call["id"] in fake_state.calls:  # the first part asked: ingest answered already
            del fake_state.calls[call["id"]]
            await _completed(api, owner.org_id, "ingest")
        return await get_part(service, path, **kwargs)

    monkeypatch.setattr(services, "get_part", erased_meanwhile)
    assert (await owner.client.get(f"/v1/calls/{call['id']}")).status_code == 200
    assert _cached(api, owner.org_id, call["id"]) is None, "read before the erasure: not kept"
    assert (await owner.client.get(f"/v1/calls/{call['id']}")).status_code == 404


async def test_a_replica_not_told_of_an_erasure_drops_the_view_within_its_age_limit(
    api: Any, make_api: Any, fake_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    views = api.app.state.gateway.views
    now = [views.clock()]
    monkeypatch.setattr(views, "clock", lambda: now[0])
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    assert (await owner.client.get(url)).status_code == 200

    told = await make_api()  # another replica: the erasure's events reach it, not this one
    event = make_event(
        erasure_requested("call", call["id"], request_id="r-other"),
        source="privacy",
        org_id=owner.org_id,
    )
    assert await _consumer(told, Topic.ERASURE_REQUESTED).apply(event)
    await _completed(told, owner.org_id, "ingest")
    assert _cached(api, owner.org_id, call["id"]) is not None, "not told"

    max_age = api.app.state.gateway.settings.call_view_max_age_seconds
    now[0] += max_age / 2
    await views.drop_expired()
    assert _cached(api, owner.org_id, call["id"]) is not None
    now[0] += max_age / 2
    await views.drop_expired()  # run every max_age / 2 (main.py), read or not
    assert (owner.org_id, call["id"]) not in views, "gone within the age limit"


class HeldIngest:
    """Ingest's GET of a call held until the test releases it; readers counted as they
    reach the route and as they ask ingest."""

    def __init__(self, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        from gateway.entrypoints.routes import calls

        self.arrived = 0
        self.asked: list[str] = []
        self.release = asyncio.Event()
        services = api.app.state.gateway.services
        get, view_of = services.get, calls.call_view_of

        async def held_get(service: str, path: str, **kwargs: Any) -> Any:
            if path.startswith("/internal/calls/"):
                self.asked.append(kwargs["identity"].user_id)
                await self.release.wait()
            return await get(service, path, **kwargs)

        async def counted(*args: Any) -> Any:
            self.arrived += 1
            return await view_of(*args)

        monkeypatch.setattr(services, "get", held_get)
        monkeypatch.setattr(calls, "call_view_of", counted)

    async def until_arrived(self, readers: int) -> None:
        await wait_until(lambda: self.arrived >= readers, timeout=20, every=0.01)
        for _ in range(5):  # each past authentication, into the read
            await asyncio.sleep(0)


async def test_readers_of_a_call_meanwhile_share_one_round_to_its_sources(
    api: Any, fake_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, rep = await api.team("rep")
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    held = HeldIngest(api, monkeypatch)
    # Eight readers: each request holds a database connection, and the test database
    # serves every test worker at once.
    readers = [asyncio.create_task(owner.client.get(url)) for _ in range(8)]
    await held.until_arrived(8)
    refused = asyncio.create_task(rep.client.get(url))  # a colleague's call: never joins
    await held.until_arrived(9)
    held.release.set()
    answers = await asyncio.gather(*readers)
    assert {r.status_code for r in answers} == {200}
    assert len({r.content for r in answers}) == 1
    assert (await refused).status_code == 404
    assert sorted(held.asked) == sorted([owner.user_id, rep.user_id]), "one round per caller"


async def test_a_reader_after_a_forget_does_not_join_a_round_begun_before_it(
    api: Any, fake_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    held = HeldIngest(api, monkeypatch)
    before = asyncio.create_task(owner.client.get(url))
    await held.until_arrived(1)
    api.app.state.gateway.views.forget(owner.org_id)  # an erasure in the organization
    del fake_state.calls[call["id"]]
    after = asyncio.create_task(owner.client.get(url))
    await held.until_arrived(2)
    held.release.set()
    assert (await after).status_code == 404, "asked ingest anew: the call is gone"
    assert len(held.asked) == 2
    await before


async def test_a_reader_after_ingest_answered_a_round_asks_ingest_itself(
    api: Any, fake_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica not told of an erasure: a reader arriving once ingest has answered a
    round under way asks ingest itself, and is refused the call erased meanwhile."""
    owner = await api.signup()
    call = _scored_call(fake_state, owner.org_id, owner.user_id)
    url = f"/v1/calls/{call['id']}"
    services = api.app.state.gateway.services
    get_part, parts_asked, release = services.get_part, asyncio.Event(), asyncio.Event()

    async def held_part(service: str, path: str, **kwargs: Any) -> Any:
        parts_asked.set()  # ingest has answered this round
        await release.wait()
        return await get_part(service, path, **kwargs)

    monkeypatch.setattr(services, "get_part", held_part)
    before = asyncio.create_task(owner.client.get(url))
    await asyncio.wait_for(parts_asked.wait(), 20)
    del fake_state.calls[call["id"]]  # erased at ingest; this replica heard nothing
    after = asyncio.create_task(owner.client.get(url))
    await wait_until(lambda: after.done(), timeout=20, every=0.01)
    release.set()
    assert (await after).status_code == 404, "not given the round begun before the erasure"
    assert (await before).status_code == 200
