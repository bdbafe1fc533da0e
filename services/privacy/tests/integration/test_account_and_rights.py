"""Account deletion, restriction, objection, rectification and who may ask for what."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from clashtor_common.crypto import fingerprint
from clashtor_common.events import parse_envelope
from clashtor_common.s3 import ObjectNotFound
from clashtor_common.testing.events import new_org
from clashtor_common.testing.kafka import TopicReader
from clashtor_common.testing.waiting import wait_until

from .support import (
    SERVICES,
    PrivacyUnderTest,
    SimulatedServices,
    for_request,
)

EMAIL = "pat.customer@buyer.example"

ERROR_FIELDS = {"code", "message", "errors"}
"""An error's fields: validation errors add the per-field ``errors`` list."""


async def _status(privacy: PrivacyUnderTest, org: str) -> dict:
    resp = await privacy.client.get(
        "/internal/account/status", headers=privacy.headers(org, "rep-1", "rep")
    )
    assert resp.status_code == 200
    data: dict = resp.json()
    return data


async def test_a_deleted_account_is_closed_at_once_restorable_then_erased_after_30_days(
    privacy: PrivacyUnderTest, services: SimulatedServices, erasure_requests: TopicReader
) -> None:
    org = new_org()
    owner = privacy.headers(org, "owner-1", "owner")
    for role in ("rep", "admin", "compliance"):
        resp = await privacy.client.delete(
            "/internal/account", headers=privacy.headers(org, "u", role)
        )
        assert resp.status_code == 403, role

    resp = await privacy.client.delete("/internal/account", headers=owner)
    assert resp.status_code == 202
    deleted = resp.json()
    assert deleted["status"] == "deleted"
    assert (await _status(privacy, org))["status"] == "deleted"
    resp = await privacy.client.post(
        "/internal/requests/export", json={"subject": {"type": "organization"}}, headers=owner
    )
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "account_deleted"
    again = await privacy.client.delete("/internal/account", headers=owner)
    assert again.status_code == 200 and again.json() == deleted

    resp = await privacy.client.post("/internal/account/restore", headers=owner)
    assert resp.status_code == 200 and resp.json()["status"] == "active"
    assert (await _status(privacy, org))["status"] == "active"
    resp = await privacy.client.post(
        "/internal/requests/export", json={"subject": {"type": "organization"}}, headers=owner
    )
    assert resp.status_code == 202

    resp = await privacy.client.delete("/internal/account", headers=owner)
    assert resp.status_code == 202
    privacy.clock.advance(timedelta(days=29))
    await privacy.scheduler.tick()
    assert (await _status(privacy, org))["status"] == "deleted"

    privacy.clock.advance(timedelta(days=2))
    resp = await privacy.client.post("/internal/account/restore", headers=owner)
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "restore_window_closed"
    assert (await privacy.scheduler.tick()).purges_started >= 1
    status = await _status(privacy, org)
    assert status["status"] == "purging"
    purge_id = status["purge_request_id"]

    [raw] = await erasure_requests.wait_for_raw(for_request(purge_id))
    event = parse_envelope(raw)
    assert event.org_id == org
    assert event.data["subject"] == {"type": "organization", "id": org, "fingerprint": None}
    assert event.data["requested_by"] == "system:account-deletion"

    for service in SERVICES:
        await services.erasure_completed(org, purge_id, service, removed={"everything": 1})

    async def purged() -> bool:
        return (await _status(privacy, org))["status"] == "purged"

    await wait_until(purged)
    resp = await privacy.client.post("/internal/account/restore", headers=owner)
    assert resp.status_code == 409


async def test_restriction_and_objection_are_kept_per_subject_and_announced(
    privacy: PrivacyUnderTest, restrictions: TopicReader
) -> None:
    org = new_org()
    officer = privacy.headers(org, "officer-1", "compliance")
    subject = {"type": "participant", "email": EMAIL}
    resp = await privacy.client.post(
        "/internal/restriction", json={"subject": subject, "restricted": True}, headers=officer
    )
    assert resp.status_code == 202
    restricted = resp.json()
    assert restricted["restricted"] is True and restricted["objected"] is False
    assert restricted["subject"] == {"type": "participant", "id": None}

    resp = await privacy.client.post(
        "/internal/objection", json={"subject": subject, "objected": True}, headers=officer
    )
    assert resp.status_code == 202
    objected = resp.json()
    assert objected["restricted"] is True and objected["objected"] is True

    secret = privacy.settings.fingerprint_secret.get_secret_value()
    [first] = await restrictions.wait_for_raw(for_request(restricted["id"]))
    [second] = await restrictions.wait_for_raw(for_request(objected["id"]))
    for raw in (first, second):
        assert b"pat.customer" not in raw and b"buyer.example" not in raw
        assert parse_envelope(raw).data["subject"]["fingerprint"] == fingerprint(secret, EMAIL)
    assert parse_envelope(first).data["restricted"] is True
    assert parse_envelope(first).data["objected"] is None
    assert parse_envelope(second).data["objected"] is True
    assert parse_envelope(second).data["restricted"] is None

    # Lifting a restriction is announced the same way.
    resp = await privacy.client.post(
        "/internal/restriction", json={"subject": subject, "restricted": False}, headers=officer
    )
    assert resp.json()["restricted"] is False and resp.json()["objected"] is True
    [lifted] = await restrictions.wait_for_raw(for_request(resp.json()["id"]))
    assert parse_envelope(lifted).data["restricted"] is False

    # Users for themselves only; objection needs a person.
    rep = privacy.headers(org, "rep-1", "rep")
    own = {"subject": {"type": "user", "id": "rep-1"}, "restricted": True}
    assert (
        await privacy.client.post("/internal/restriction", json=own, headers=rep)
    ).status_code == 202
    other = {"subject": {"type": "user", "id": "rep-2"}, "restricted": True}
    assert (
        await privacy.client.post("/internal/restriction", json=other, headers=rep)
    ).status_code == 403
    call = {"subject": {"type": "call", "id": "c-1"}, "objected": True}
    resp = await privacy.client.post("/internal/objection", json=call, headers=officer)
    assert resp.status_code == 422


async def test_rectification_travels_as_an_encrypted_claim_check_that_erasure_deletes(
    privacy: PrivacyUnderTest, rectifications: TopicReader
) -> None:
    org = new_org()
    admin = privacy.headers(org, "admin-1", "admin")
    changes = {"name": "Janet Roe", "email": "janet.roe@new.example"}
    resp = await privacy.client.post(
        "/internal/rectification",
        json={"subject": {"type": "user", "id": "u-5"}, "changes": changes},
        headers=admin,
    )
    assert resp.status_code == 202
    request_id = resp.json()["id"]
    [raw] = await rectifications.wait_for_raw(for_request(request_id))
    assert b"Janet" not in raw and b"janet" not in raw
    event = parse_envelope(raw)
    assert event.data["subject"] == {"type": "user", "id": "u-5", "fingerprint": None}

    blob = await privacy.read(event.data["changes"])
    assert b"Janet" not in blob
    document = json.loads(privacy.keyring.decrypt(blob))
    assert document["changes"] == changes
    assert document["request_id"] == request_id
    secret = privacy.settings.fingerprint_secret.get_secret_value()
    assert document["email_fingerprint"] == fingerprint(secret, changes["email"])

    view = await privacy.get_request(org, request_id)
    assert view["kind"] == "rectification" and view["status"] == "completed"
    assert "Janet" not in json.dumps(view)

    resp = await privacy.client.post(
        "/internal/requests/erasure", json={"subject": {"type": "user", "id": "u-5"}}, headers=admin
    )
    assert resp.status_code == 202
    view = await privacy.get_request(org, resp.json()["id"])
    own = next(a for a in view["acknowledgements"] if a["service"] == "privacy")
    assert own["details"]["removed"]["rectification_claim_checks"] == 1
    with pytest.raises(ObjectNotFound):
        await privacy.read(event.data["changes"])


async def test_the_gateway_vouches_as_system_and_the_real_requester_is_recorded(
    privacy: PrivacyUnderTest, erasure_requests: TopicReader
) -> None:
    """``DELETE /v1/calls/{id}``: the gateway checked with ingest that rep-1 may see the
    call, then asks as ``system`` on rep-1's behalf. Rep-1 is the requester everywhere."""
    org = new_org()
    rep = privacy.headers(org, "rep-1", "rep")
    refused = await privacy.client.post(
        "/internal/requests/erasure", json={"subject": {"type": "call", "id": "c-9"}}, headers=rep
    )
    assert refused.status_code == 403
    resp = await privacy.client.post(
        "/internal/requests/erasure",
        json={"subject": {"type": "call", "id": "c-9"}},
        headers=privacy.headers(org, "rep-1", "system"),
    )
    assert resp.status_code == 202, resp.text
    request_id = resp.json()["id"]

    view = await privacy.get_request(org, request_id, user="rep-1", role="rep")
    assert view["requested_by"] == "rep-1"
    assert view["subject"] == {"type": "call", "id": "c-9"}
    other = await privacy.client.get(
        f"/internal/requests/{request_id}", headers=privacy.headers(org, "rep-2", "rep")
    )
    assert other.status_code == 404
    listed = (await privacy.client.get("/internal/requests", headers=rep)).json()
    assert [r["id"] for r in listed["items"]] == [request_id]

    [raw] = await erasure_requests.wait_for_raw(for_request(request_id))
    assert parse_envelope(raw).data["requested_by"] == "rep-1"
    officer = privacy.headers(org, "officer-1", "compliance")
    audit = (await privacy.client.get("/internal/audit", headers=officer)).json()
    [entry] = [e for e in audit["items"] if e["request_id"] == request_id]
    assert (entry["actor_id"], entry["actor_role"]) == ("rep-1", "system")


async def test_requested_by_is_the_requesters_user_id_never_an_email(
    privacy: PrivacyUnderTest,
) -> None:
    org = new_org()
    made = []
    for user, role, body in (
        ("officer-1", "compliance", {"subject": {"type": "participant", "email": EMAIL}}),
        ("rep-1", "system", {"subject": {"type": "participant", "email": "rep1@seller.example"}}),
        ("rep-1", "rep", {"subject": {"type": "user", "id": "rep-1"}}),
    ):
        resp = await privacy.client.post(
            "/internal/requests/export", json=body, headers=privacy.headers(org, user, role)
        )
        assert resp.status_code == 202, resp.text
        made.append((user, resp.json()["id"]))
    for user, request_id in made:
        view = await privacy.get_request(org, request_id, user="officer-1", role="compliance")
        assert view["requested_by"] == user
        assert "@" not in json.dumps(view)


async def test_a_users_own_rectification_names_them_by_id_and_by_their_previous_email(
    privacy: PrivacyUnderTest, rectifications: TopicReader
) -> None:
    """As the gateway sends it after ``PATCH /v1/me``: services that know the user by the
    fingerprint of the old address (call participants, the Stripe contact) find them."""
    org = new_org()
    old, new = "dana@seller.example", "dana.smith@seller.example"
    resp = await privacy.client.post(
        "/internal/rectification",
        json={
            "subject": {"type": "user", "id": "u-7", "email": old},
            "changes": {"name": "Dana Smith", "email": new},
        },
        headers=privacy.headers(org, "u-7", "system"),
    )
    assert resp.status_code == 202, resp.text
    request_id = resp.json()["id"]
    [raw] = await rectifications.wait_for_raw(for_request(request_id))
    assert b"dana" not in raw
    secret = privacy.settings.fingerprint_secret.get_secret_value()
    event = parse_envelope(raw)
    assert event.data["subject"] == {
        "type": "user",
        "id": "u-7",
        "fingerprint": fingerprint(secret, old),
    }
    document = json.loads(privacy.keyring.decrypt(await privacy.read(event.data["changes"])))
    assert document["changes"] == {"name": "Dana Smith", "email": new}
    assert document["email_fingerprint"] == fingerprint(secret, new)
    view = await privacy.get_request(org, request_id, user="u-7", role="rep")
    assert view["requested_by"] == "u-7" and view["kind"] == "rectification"


@pytest.mark.parametrize(
    ("role", "path", "body", "status"),
    [
        ("rep", "/internal/requests/erasure", {"subject": {"type": "user", "id": "rep-2"}}, 403),
        ("rep", "/internal/requests/erasure", {"subject": {"type": "user", "email": EMAIL}}, 403),
        ("rep", "/internal/requests/erasure", {"subject": {"type": "call", "id": "c-1"}}, 403),
        ("manager", "/internal/requests/export", {"subject": {"type": "user", "id": "rep-2"}}, 403),
        ("admin", "/internal/requests/erasure", {"subject": {"type": "organization"}}, 403),
        (
            "owner",
            "/internal/requests/erasure",
            {"subject": {"type": "organization", "id": "org-x"}},
            404,
        ),
        ("admin", "/internal/requests/erasure", {"subject": {"type": "call", "email": EMAIL}}, 422),
        ("admin", "/internal/requests/erasure", {"subject": {"type": "user"}}, 422),
        ("admin", "/internal/requests/erasure", {"subject": {"type": "robot", "id": "r"}}, 422),
        (
            "admin",
            "/internal/requests/erasure",
            {"subject": {"type": "user", "id": "u", "x": 1}},
            422,
        ),
        ("admin", "/internal/requests/export", {"subject": {"type": "user", "email": "nope"}}, 422),
        (
            "admin",
            "/internal/rectification",
            {"subject": {"type": "user", "id": "u"}, "changes": {}},
            422,
        ),
        ("rep", "/internal/requests/erasure", {"subject": {"type": "user", "id": "rep-1"}}, 202),
        ("rep", "/internal/requests/export", {"subject": {"type": "user", "id": "rep-1"}}, 202),
    ],
)
async def test_who_may_ask_for_what(
    privacy: PrivacyUnderTest, role: str, path: str, body: dict, status: int
) -> None:
    resp = await privacy.client.post(
        path, json=body, headers=privacy.headers(new_org(), "rep-1", role)
    )
    assert resp.status_code == status, resp.text
    if status != 202:
        assert {"code", "message"} <= set(resp.json()["error"]) <= ERROR_FIELDS


async def test_requests_without_a_signed_identity_are_refused(privacy: PrivacyUnderTest) -> None:
    resp = await privacy.client.get("/internal/requests")
    assert resp.status_code == 401
    resp = await privacy.client.get(
        "/internal/requests", headers={"X-Clashtor-Identity": "forged.token.value"}
    )
    assert resp.status_code == 401


async def test_users_see_their_own_requests_and_compliance_sees_all_with_an_audit_trail(
    privacy: PrivacyUnderTest,
) -> None:
    org = new_org()
    rep = privacy.headers(org, "rep-1", "rep")
    officer = privacy.headers(org, "officer-1", "compliance")
    own = await privacy.client.post(
        "/internal/requests/export", json={"subject": {"type": "user", "id": "rep-1"}}, headers=rep
    )
    theirs = await privacy.client.post(
        "/internal/requests/erasure",
        json={"subject": {"type": "participant", "email": EMAIL}},
        headers=officer,
    )
    own_id, their_id = own.json()["id"], theirs.json()["id"]

    listing = (await privacy.client.get("/internal/requests", headers=rep)).json()
    assert [r["id"] for r in listing["items"]] == [own_id]
    assert (
        await privacy.client.get(f"/internal/requests/{their_id}", headers=rep)
    ).status_code == 404
    listing = (await privacy.client.get("/internal/requests", headers=officer)).json()
    assert {r["id"] for r in listing["items"]} == {own_id, their_id}
    page = (await privacy.client.get("/internal/requests?limit=1", headers=officer)).json()
    rest = (
        await privacy.client.get(
            f"/internal/requests?limit=1&cursor={page['next_cursor']}", headers=officer
        )
    ).json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {own_id, their_id}

    assert (await privacy.client.get("/internal/audit", headers=rep)).status_code == 403
    audit = (await privacy.client.get("/internal/audit", headers=officer)).json()
    trail = {(e["action"], e["actor_id"], e["request_id"]) for e in audit["items"]}
    assert ("export.requested", "rep-1", own_id) in trail
    assert ("erasure.requested", "officer-1", their_id) in trail
    assert "@" not in json.dumps(audit)


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("GET", "/internal/requests?cursor=not-a-cursor", None, 400),
        ("GET", "/internal/requests?cursor=WzEsMiwzXQ==", None, 400),
        ("GET", "/internal/requests?limit=0", None, 422),
        ("GET", "/internal/requests?kind=gossip", None, 422),
        ("GET", "/internal/audit?cursor=abc", None, 422),
        ("GET", "/internal/requests/" + "x" * 300, None, 404),
        ("GET", "/internal/exports/not.a.token", None, 403),
        ("POST", "/internal/requests/erasure", b"{not json", 422),
        ("POST", "/internal/requests/erasure", b"[]", 422),
        ("PUT", "/internal/retention", b'{"call_retention_days": 0}', 422),
    ],
)
async def test_bad_input_gets_a_clear_error_never_a_500(
    privacy: PrivacyUnderTest, method: str, path: str, content: bytes | None, status: int
) -> None:
    headers = {**privacy.headers(new_org(), "officer-1", "compliance")}
    if content is not None:
        headers["content-type"] = "application/json"
    resp = await privacy.client.request(method, path, content=content, headers=headers)
    assert resp.status_code == status, resp.text
    assert {"code", "message"} <= set(resp.json()["error"]) <= ERROR_FIELDS


async def test_the_retention_schedule_is_stored_per_organization_and_enforced(
    privacy: PrivacyUnderTest,
) -> None:
    org = new_org()
    admin = privacy.headers(org, "admin-1", "admin")
    empty = (await privacy.client.get("/internal/retention", headers=admin)).json()
    assert empty["call_retention_days"] is None and empty["enforced"] is True
    resp = await privacy.client.put(
        "/internal/retention", json={"call_retention_days": 90}, headers=admin
    )
    assert resp.status_code == 200 and resp.json()["call_retention_days"] == 90
    other = privacy.headers(new_org(), "admin-1", "admin")
    assert (await privacy.client.get("/internal/retention", headers=other)).json()[
        "call_retention_days"
    ] is None
    rep = privacy.headers(org, "rep-1", "rep")
    assert (await privacy.client.get("/internal/retention", headers=rep)).status_code == 403
