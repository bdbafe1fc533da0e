"""Another organization's ids answer 404 on every route that takes an id.

Organization B owns one of everything; B's owner can reach each (so the ids are real)
and A's owner gets 404 for each (so tenancy, not absence, is what refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from clashtor_common.events import CallScored
from gateway.service_layer.notifications import record_call_scored


@dataclass
class World:
    a: Any
    b: Any
    ids: dict[str, str]


@pytest.fixture(scope="module")
async def world(api: Any, fake_state: Any) -> World:
    a = await api.signup(organization="A")
    b = await api.signup(organization="B")
    b_member = await api.invite(b, "rep")
    b_manager = await api.invite(b, "manager")
    invitation = await b.client.post(
        "/v1/invitations", json={"email": f"pending-{b.user_id[:8]}@example.com", "role": "rep"}
    )
    key = await b.client.post("/v1/api-keys", json={"name": "b"})
    call = fake_state.add_call(b.org_id, b.user_id)
    fake_state.scores[call["id"]] = {"org_id": b.org_id, "roles": {"0": "rep"}}
    scorecard = await b.client.post("/v1/scorecards", json={"template": "bant", "name": "b card"})
    tracker = await b.client.post("/v1/trackers", json={"name": "b tracker", "phrases": ["b"]})
    request = await b.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": b.user_id}}
    )
    async with api.app.state.gateway.db.session() as session:
        await record_call_scored(
            session, b.org_id, CallScored(call_id=call["id"], uploader_id=b.user_id, engine="local")
        )
    notes = await b.client.get("/v1/notifications")
    return World(
        a=a,
        b=b,
        ids={
            "member": b_member.user_id,
            "manager": b_manager.user_id,
            "invitation": invitation.json()["id"],
            "key": key.json()["id"],
            "call": call["id"],
            "scorecard": scorecard.json()["id"],
            "tracker": tracker.json()["id"],
            "request": request.json()["id"],
            "notification": notes.json()["items"][0]["id"],
        },
    )


ROUTES = [
    ("PATCH", "/v1/members/{member}", {"role": "rep"}),
    ("PUT", "/v1/members/{member}/manager", {"manager_id": None}),
    ("DELETE", "/v1/members/{member}", None),
    ("DELETE", "/v1/invitations/{invitation}", None),
    ("DELETE", "/v1/api-keys/{key}", None),
    ("GET", "/v1/calls/{call}", None),
    ("GET", "/v1/calls/{call}/audio", None),
    ("PUT", "/v1/calls/{call}/roles", {"roles": {"0": "customer"}}),
    ("DELETE", "/v1/calls/{call}", None),
    ("GET", "/v1/scorecards/{scorecard}", None),
    ("PUT", "/v1/scorecards/{scorecard}", {"name": "mine now"}),
    ("DELETE", "/v1/scorecards/{scorecard}", None),
    ("GET", "/v1/trackers/{tracker}", None),
    ("PUT", "/v1/trackers/{tracker}", {"name": "mine now"}),
    ("DELETE", "/v1/trackers/{tracker}", None),
    ("GET", "/v1/privacy/requests/{request}", None),
    ("POST", "/v1/notifications/{notification}/read", None),
]


@pytest.mark.parametrize(
    ("method", "template", "body"), ROUTES, ids=[f"{m} {t}" for m, t, _ in ROUTES]
)
async def test_another_orgs_id_is_404(world: World, method: str, template: str, body: Any) -> None:
    path = template.format(**world.ids)
    resp = await world.a.client.request(method, path, json=body)
    assert resp.status_code == 404, resp.text
    assert resp.json()["error"]["code"] in ("not_found", "invitation_not_found")


@pytest.mark.parametrize(
    ("method", "template", "body"),
    [r for r in ROUTES if r[0] != "DELETE"],
    ids=[f"{m} {t}" for m, t, _ in ROUTES if m != "DELETE"],
)
async def test_the_owning_org_reaches_the_same_id(
    world: World, method: str, template: str, body: Any
) -> None:
    resp = await world.b.client.request(method, template.format(**world.ids), json=body)
    assert resp.status_code < 300, resp.text


async def test_assigning_a_manager_from_another_org_is_404(world: World, api: Any) -> None:
    a_rep = await api.invite(world.a, "rep")
    resp = await world.a.client.put(
        f"/v1/members/{a_rep.user_id}/manager", json={"manager_id": world.ids["manager"]}
    )
    assert resp.status_code == 404


@pytest.mark.parametrize(
    "subject",
    [
        {"type": "user", "id": "member"},
        {"type": "organization", "id": "org"},
        {"type": "call", "id": "call"},
    ],
)
async def test_privacy_subjects_of_another_org_are_404(
    world: World, subject: dict[str, str]
) -> None:
    ids = {**world.ids, "org": world.b.org_id}
    body = {"subject": {"type": subject["type"], "id": ids[subject["id"]]}}
    resp = await world.a.client.post("/v1/privacy/erasure", json=body)
    assert resp.status_code == 404, resp.text
