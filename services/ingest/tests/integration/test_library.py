"""The call library (``/internal/playlists``) on the real database, broker and S3."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from clashtor_common.events import ExportRequested, ObjectRef, Subject
from ingest.context import IngestContext

from ..audio_samples import tone_bytes
from .support import IngestClient, Publisher, erase_and_wait, new_org, read_topic


class Library:
    """The playlist routes as one member of one organization."""

    def __init__(self, client: IngestClient, org: str, user: str = "mgr", role: str = "admin"):
        self.http = client.http
        self.headers = client.headers(org, user, role)

    async def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return await self.http.request(
            method, f"/internal/playlists{path}", headers=self.headers, **kw
        )

    async def create(self, title: str) -> dict[str, Any]:
        made = await self.send("POST", "", json={"title": title})
        assert made.status_code == 201, made.text
        return made.json()

    async def add(self, playlist: str, call: str, **clip: float) -> httpx.Response:
        return await self.send("POST", f"/{playlist}/items", json={"call_id": call, **clip})

    async def items(self, playlist: str, **params: Any) -> list[dict[str, Any]]:
        """Every page, following next_cursor."""
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            page = await self.send("GET", f"/{playlist}/items", params=query)
            assert page.status_code == 200, page.text
            out += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return out


async def _call(client: IngestClient, org: str, freq: float, *, user: str = "rep-a") -> str:
    """A 2-second call uploaded by ``user`` (a rep)."""
    made = await client.upload(
        org, tone_bytes(2.0, freq=freq), title=f"call {freq}", user=user, role="rep"
    )
    assert made.status_code == 202, made.text
    return str(made.json()["id"])


async def test_a_playlist_holds_calls_and_clips_in_the_order_given(client: IngestClient) -> None:
    org = new_org()
    calls = [await _call(client, org, 600 + n) for n in range(3)]
    lib = Library(client, org)
    playlist = await lib.create("  Best   discovery calls ")
    assert (playlist["title"], playlist["item_count"], playlist["can_edit"]) == (
        "Best discovery calls",
        0,
        True,
    )
    whole = await lib.add(playlist["id"], calls[0])
    clip = await lib.add(playlist["id"], calls[1], start=0.5, end=1.5)
    last = await lib.add(playlist["id"], calls[2], start=0, end=2.0)
    assert [r.status_code for r in (whole, clip, last)] == [201, 201, 201]
    assert clip.json()["call"]["title"] == "call 601"
    assert (clip.json()["start"], clip.json()["end"]) == (0.5, 1.5)

    pages = await lib.items(playlist["id"], limit=2)
    assert [i["call_id"] for i in pages] == calls, "three items over two pages, in order"

    ids = [i["id"] for i in pages]
    order = await lib.send("PUT", f"/{playlist['id']}/items/order", json={"item_ids": ids[::-1]})
    assert order.status_code == 200, order.text
    assert [i["call_id"] for i in await lib.items(playlist["id"])] == calls[::-1]
    stale = await lib.send("PUT", f"/{playlist['id']}/items/order", json={"item_ids": ids[:2]})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "stale_order")

    assert (await lib.send("DELETE", f"/{playlist['id']}/items/{ids[1]}")).status_code == 204
    assert [i["call_id"] for i in await lib.items(playlist["id"])] == [calls[2], calls[0]]
    renamed = await lib.send("PATCH", f"/{playlist['id']}", json={"title": "Top calls"})
    assert (renamed.json()["title"], renamed.json()["item_count"]) == ("Top calls", 2)
    assert (await lib.send("DELETE", f"/{playlist['id']}")).status_code == 204
    assert (await lib.send("GET", f"/{playlist['id']}")).status_code == 404


async def test_a_clip_must_lie_inside_its_call(client: IngestClient) -> None:
    org = new_org()
    call = await _call(client, org, 700)
    lib = Library(client, org)
    playlist = (await lib.create("Clips"))["id"]
    for clip, says in [
        ({"start": 1.0, "end": 2.5}, "past the end of the call"),
        ({"start": 1.5, "end": 1.0}, "end must be after start"),
        ({"start": 1.0}, "both start and end"),
        ({"start": -1.0, "end": 1.0}, "greater than or equal to 0"),
    ]:
        refused = await lib.add(playlist, call, **clip)
        assert refused.status_code == 422, (clip, refused.text)
        assert says in refused.text, (clip, refused.text)
    assert await lib.items(playlist) == []


async def test_the_library_is_shared_inside_the_org_and_invisible_outside(
    client: IngestClient,
) -> None:
    org, other = new_org(), new_org()
    theirs = await _call(client, other, 800, user="rep-x")
    mine = await _call(client, org, 801, user="rep-a")
    someone_elses = await _call(client, org, 802, user="rep-b")
    manager = Library(client, org)
    playlist = (await manager.create("Team picks"))["id"]
    assert (await manager.add(playlist, mine)).status_code == 201
    assert (await manager.add(playlist, someone_elses)).status_code == 201

    outsider = Library(client, other, "boss", "admin")
    for method, path in [
        ("GET", f"/{playlist}"),
        ("GET", f"/{playlist}/items"),
        ("DELETE", f"/{playlist}"),
    ]:
        assert (await outsider.send(method, path)).status_code == 404
    assert (await outsider.send("GET", "")).json()["items"] == []
    added = await manager.add(playlist, theirs)
    assert added.status_code == 404, "another org's call is not found"

    rep = Library(client, org, "rep-a", "rep")
    listed = (await rep.send("GET", "")).json()["items"]
    assert [(p["id"], p["item_count"], p["can_edit"]) for p in listed] == [(playlist, 2, False)]
    seen = {i["call_id"]: i["call"] for i in await rep.items(playlist)}
    assert seen[mine]["title"] == "call 801"
    assert seen[someone_elses] is None, "a playlist grants no access to a call"
    assert (await rep.send("PATCH", f"/{playlist}", json={"title": "mine"})).status_code == 403
    assert (await rep.add(playlist, mine)).status_code == 403
    own = (await rep.create("My moments"))["id"]
    assert (await rep.add(own, someone_elses)).status_code == 404, "only calls they may see"
    assert (await rep.add(own, mine, start=0.0, end=1.0)).status_code == 201


async def test_erasing_a_call_takes_it_out_of_every_playlist(
    client: IngestClient, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org = new_org()
    gone, kept = await _call(client, org, 900), await _call(client, org, 901)
    lib = Library(client, org)
    first, second = (await lib.create("A"))["id"], (await lib.create("B"))["id"]
    for playlist in (first, second):
        await lib.add(playlist, gone, start=0.0, end=1.0)
        await lib.add(playlist, kept)
    done = await erase_and_wait(publisher, kafka_bootstrap, org, Subject(type="call", id=gone))
    assert done["removed"]["playlist_items"] == 2
    for playlist in (first, second):
        assert [i["call_id"] for i in await lib.items(playlist)] == [kept]


async def test_a_users_export_has_the_playlists_they_made_and_their_erasure_keeps_them(
    client: IngestClient, ctx: IngestContext, publisher: Publisher, kafka_bootstrap: str
) -> None:
    org = new_org()
    call = await _call(client, org, 1000, user="someone")
    maker = Library(client, org, "maker", "admin")
    made = (await maker.create("Objection handling"))["id"]
    await maker.add(made, call, start=0.25, end=1.75)
    await Library(client, org, "other", "manager").create("Not theirs")

    request_id = f"exp-{uuid.uuid4().hex[:8]}"
    await publisher.publish(
        ExportRequested(request_id=request_id, subject=Subject(type="user", id="maker")),
        org=org,
        source="privacy",
    )
    ready = await read_topic(
        kafka_bootstrap, "export-part-ready", lambda e: e["data"]["request_id"] == request_id
    )
    part = ready[0][1]["data"]
    document = json.loads(
        ctx.keyring.decrypt(await ctx.objects.store.read(ObjectRef(**part["part"])))
    )
    playlists = [i for i in document["items"] if i.get("kind") == "playlist"]
    assert [(p["id"], p["title"], p["created_by"]) for p in playlists] == [
        (made, "Objection handling", "maker")
    ]
    assert playlists[0]["items"] == [{"call_id": call, "start": 0.25, "end": 1.75, "position": 0}]

    done = await erase_and_wait(publisher, kafka_bootstrap, org, Subject(type="user", id="maker"))
    assert done["removed"]["playlists"] == 1
    kept = (await maker.send("GET", f"/{made}")).json()
    assert (kept["title"], kept["created_by"], kept["item_count"]) == (
        "Objection handling",
        None,
        1,
    ), "the playlist is the organization's: it stays, without its creator's id"
