"""One cursor pagination on every list: ``limit`` and ``cursor`` in, ``{items, next_cursor}``
out, in a stable order, with a forged cursor refused per field."""

from __future__ import annotations

from typing import Any

import pytest

from clashtor_common.events import CallScored, Topic, make_event


async def all_pages(client: Any, path: str, limit: int, **params: Any) -> list[list[str]]:
    """The ids of each page, following ``next_cursor`` to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = await client.get(path, params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert set(body) >= {"items", "next_cursor"}
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "next_cursor never ends"


async def notify(api: Any, org_id: str, user_id: str, call_id: str) -> None:
    consumer = next(
        c for c in api.app.state.runtime.consumers if c.topic == Topic.CALL_SCORED.value
    )
    payload = CallScored(call_id=call_id, uploader_id=user_id, overall_score=50, engine="local")
    assert await consumer.apply(make_event(payload, source="score", org_id=org_id, key=call_id))


async def test_members_invitations_and_api_keys_come_a_page_at_a_time_oldest_first(
    api: Any,
) -> None:
    owner = await api.signup()
    members = [owner.user_id] + [(await api.invite(owner, "rep")).user_id for _ in range(4)]
    invitations = []
    for n in range(5):
        sent = await owner.client.post(
            "/v1/invitations", json={"email": f"page{n}@example.com", "role": "rep"}
        )
        invitations.append(sent.json()["id"])
    keys = []
    for n in range(5):
        made = await owner.client.post("/v1/api-keys", json={"name": f"key {n}"})
        keys.append(made.json()["id"])

    for path, made in (
        ("/v1/members", members),
        ("/v1/invitations", invitations),
        ("/v1/api-keys", keys),
    ):
        pages = await all_pages(owner.client, path, limit=2)
        assert [len(p) for p in pages] == [2, 2, 1], path
        assert [i for p in pages for i in p] == made, path


async def test_notifications_come_newest_first_past_the_old_limit_of_200(api: Any) -> None:
    """They stopped at 200 with no way on; now every one is reachable."""
    owner = await api.signup()
    for n in range(205):
        await notify(api, owner.org_id, owner.user_id, f"call-{n:03d}")
    pages = await all_pages(owner.client, "/v1/notifications", limit=200)
    assert [len(p) for p in pages] == [200, 5]
    assert len({i for p in pages for i in p}) == 205
    newest = (await owner.client.get("/v1/notifications", params={"limit": 1})).json()
    assert newest["items"][0]["call_id"] == "call-204"
    after = {"limit": 200, "cursor": newest["next_cursor"]}
    older = (await owner.client.get("/v1/notifications", params=after)).json()
    assert older["items"][0]["call_id"] == "call-203"
    last = await owner.client.get(
        "/v1/notifications", params={**after, "cursor": older["next_cursor"]}
    )
    assert [n["call_id"] for n in last.json()["items"]] == [f"call-{n:03d}" for n in (3, 2, 1, 0)]


async def test_a_row_added_between_two_pages_neither_repeats_nor_shifts_one(api: Any) -> None:
    owner = await api.signup()
    first_keys = [
        (await owner.client.post("/v1/api-keys", json={"name": f"k{n}"})).json()["id"]
        for n in range(3)
    ]
    first = (await owner.client.get("/v1/api-keys", params={"limit": 2})).json()
    added = (await owner.client.post("/v1/api-keys", json={"name": "late"})).json()["id"]
    rest = await owner.client.get(
        "/v1/api-keys", params={"limit": 10, "cursor": first["next_cursor"]}
    )
    ids = [k["id"] for k in first["items"] + rest.json()["items"]]
    assert ids == [*first_keys, added]


async def cursor_errors(api: Any, path: str, cursor: str) -> list[dict[str, Any]]:
    """The field errors of a new owner's read of the list ``path`` with ``cursor``: a 422."""
    owner = await api.signup()
    resp = await owner.client.get(path, params={"cursor": cursor})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "validation_error"
    errors: list[dict[str, Any]] = error["errors"]
    return errors


@pytest.mark.parametrize(
    "path", ["/v1/members", "/v1/invitations", "/v1/api-keys", "/v1/notifications"]
)
@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "WyJhIiwxXQ", "WzEsMiwzXQ"])
async def test_a_cursor_this_api_did_not_make_is_a_422_on_the_cursor_field(
    api: Any, path: str, cursor: str
) -> None:
    errors = await cursor_errors(api, path, cursor)
    assert [(e["field"], e["location"], e["type"]) for e in errors] == [
        ("cursor", "query", "invalid_cursor")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/calls",
        "/v1/trackers",
        "/v1/scorecards",
        "/v1/webhooks",
        "/v1/integrations/slack/rules",
        "/v1/privacy/requests",
    ],
)
async def test_a_cursor_another_service_refuses_keeps_its_field_error(
    api: Any, path: str, forged_cursor: str
) -> None:
    assert await cursor_errors(api, path, forged_cursor) == [
        {
            "field": "cursor",
            "location": "query",
            "message": "cursor is not one this API returned",
            "type": "invalid_cursor",
        }
    ]
