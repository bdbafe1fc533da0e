"""/v1/privacy and /v1/account: who may ask about whom, and what reaches privacy."""

from __future__ import annotations

import hashlib
from typing import Any

from clashtor_common.certificates import load_certificate, verify_certificate
from clashtor_common.embedded import free_port


async def test_anyone_may_ask_for_their_own_export(api: Any, fake_state: Any) -> None:
    rep = await api.invite(await api.signup(), "rep")
    resp = await rep.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": rep.user_id}}
    )
    assert resp.status_code == 202
    assert resp.headers["location"] == f"/v1/privacy/requests/{resp.json()['id']}"
    request = fake_state.requests[resp.json()["id"]]
    assert request["body"] == {
        "subject": {"type": "user", "id": rep.user_id},
        "include_audio": False,
    }
    # and read its progress, since they made it
    status = await rep.client.get(f"/v1/privacy/requests/{resp.json()['id']}")
    assert status.status_code == 200
    assert status.json()["status"] == "pending" and status.json()["kind"] == "export"


async def test_an_email_never_counts_as_self(api: Any) -> None:
    """Whoever holds an address is not proven by naming it: "me" is the user id."""
    rep = await api.invite(await api.signup(), "rep")
    for kind, subject, status in (
        ("erasure", {"type": "participant", "email": rep.email.upper()}, 404),
        ("export", {"type": "participant", "email": rep.email}, 403),
        ("export", {"type": "user", "email": rep.email}, 403),
    ):
        resp = await rep.client.post(f"/v1/privacy/{kind}", json={"subject": subject})
        assert resp.status_code == status, (kind, subject, resp.text)


async def test_a_rep_cannot_ask_about_someone_else(api: Any) -> None:
    owner, rep = await api.team("rep")
    for subject, status in (
        ({"type": "user", "id": owner.user_id}, 403),
        ({"type": "participant", "email": "someone@customer.example"}, 404),
        ({"type": "organization"}, 403),
    ):
        resp = await rep.client.post("/v1/privacy/erasure", json={"subject": subject})
        assert resp.status_code == status, subject


async def test_compliance_runs_requests_about_anyone_in_the_org(api: Any, fake_state: Any) -> None:
    owner, officer, rep = await api.team("compliance", "rep")
    erase = await officer.client.post(
        "/v1/privacy/erasure", json={"subject": {"type": "participant", "email": "x@cust.example"}}
    )
    assert erase.status_code == 202
    restrict = await officer.client.post(
        "/v1/privacy/restriction", json={"subject": {"type": "user", "id": rep.user_id}}
    )
    assert restrict.status_code == 202
    assert restrict.json()["restricted"] is True and restrict.json()["objected"] is False
    assert restrict.headers["location"] == f"/v1/privacy/requests/{restrict.json()['id']}"
    assert fake_state.requests[restrict.json()["id"]]["body"] == {
        "subject": {"type": "user", "id": rep.user_id},
        "restricted": True,
    }
    objection = await officer.client.post(
        "/v1/privacy/objection",
        json={"subject": {"type": "user", "id": rep.user_id}, "objected": False},
    )
    assert objection.status_code == 202
    org = await officer.client.post(
        "/v1/privacy/export", json={"subject": {"type": "organization"}}
    )
    assert fake_state.requests[org.json()["id"]]["body"]["subject"] == {
        "type": "organization",
        "id": owner.org_id,
    }
    listed = await officer.client.get("/v1/privacy/requests")
    assert {erase.json()["id"], restrict.json()["id"]} <= {r["id"] for r in listed.json()["items"]}


async def test_everyone_lists_the_requests_privacy_scopes_to_them(
    api: Any, fake_state: Any
) -> None:
    """The privacy center of a rep lists their own requests (privacy scopes the rows by
    the signed identity), never with privacy's internal download path."""
    _owner, rep = await api.team("rep")
    mine = await rep.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": rep.user_id}}
    )
    fake_state.finish_export(mine.json()["id"], b"PK\x05\x06" + bytes(18))
    listed = await rep.client.get("/v1/privacy/requests")
    assert listed.status_code == 200, listed.text
    (item,) = [r for r in listed.json()["items"] if r["id"] == mine.json()["id"]]
    assert item["download_url"] is None


async def test_a_rep_cannot_read_someone_elses_request(api: Any) -> None:
    _owner, officer, rep = await api.team("compliance", "rep")
    made = await officer.client.post(
        "/v1/privacy/erasure", json={"subject": {"type": "participant", "email": "y@cust.example"}}
    )
    assert (await rep.client.get(f"/v1/privacy/requests/{made.json()['id']}")).status_code == 404
    assert (
        await officer.client.get(f"/v1/privacy/requests/{made.json()['id']}")
    ).status_code == 200


async def test_subjects_need_what_identifies_them(api: Any) -> None:
    owner = await api.signup()
    for subject in ({"type": "participant"}, {"type": "call"}, {"type": "user"}):
        resp = await owner.client.post("/v1/privacy/erasure", json={"subject": subject})
        assert resp.status_code == 422, subject
    wrong_type = await owner.client.post("/v1/privacy/erasure", json={"subject": {"type": "cat"}})
    assert wrong_type.status_code == 422


async def test_account_deletion_is_owner_only_and_can_be_restored(api: Any) -> None:
    owner, admin = await api.team("admin")
    assert (await admin.client.delete("/v1/account")).status_code == 403
    resp = await owner.client.delete("/v1/account")
    assert resp.status_code == 202 and resp.json()["status"] == "deleted"
    me = (await owner.client.get("/v1/me")).json()
    assert me["organization"]["deletion_requested_at"] is not None
    assert (await admin.client.post("/v1/account/restore")).status_code == 403
    restored = await owner.client.post("/v1/account/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "active"
    me = (await owner.client.get("/v1/me")).json()
    assert me["organization"]["deletion_requested_at"] is None
    assert (await admin.client.get("/v1/members")).status_code == 200


async def test_a_deleted_account_is_closed_at_once_on_every_route_but_a_few(
    api: Any, fake_state: Any
) -> None:
    owner, rep = await api.team("rep")
    key = await api.api_key(owner)
    call = fake_state.add_call(owner.org_id, rep.user_id)
    assert (await rep.client.get(f"/v1/calls/{call['id']}")).status_code == 200

    assert (await owner.client.delete("/v1/account")).status_code == 202

    for who, method, path in (
        (rep, "GET", f"/v1/calls/{call['id']}"),
        (rep, "GET", "/v1/calls"),
        (rep, "DELETE", f"/v1/calls/{call['id']}"),
        (rep, "POST", "/v1/privacy/export"),
        (owner, "GET", "/v1/members"),
        (owner, "GET", "/v1/billing/usage"),
        (owner, "DELETE", "/v1/account"),
    ):
        body = {"subject": {"type": "user", "id": who.user_id}} if method == "POST" else None
        resp = await who.client.request(method, path, json=body)
        assert resp.status_code == 403, (method, path, resp.text)
        error = resp.json()["error"]
        assert error["code"] == "account_deleted"
        assert "POST /v1/account/restore" in error["message"]
        assert "2030-01-31" in error["message"] and "30 days" in error["message"]
    by_key = await api.bearer(key).get("/v1/calls")
    assert by_key.status_code == 403 and by_key.json()["error"]["code"] == "account_deleted"

    # Still open: who am I, sign out, and the owner's restore.
    assert (await rep.client.get("/v1/me")).status_code == 200
    assert (await owner.client.get("/v1/auth/csrf")).status_code == 200
    restored = await owner.client.post("/v1/account/restore")
    assert restored.status_code == 200
    assert (await rep.client.get(f"/v1/calls/{call['id']}")).status_code == 200
    assert (await rep.client.post("/v1/auth/logout")).status_code == 204


async def test_the_account_status_is_read_from_privacy_and_cached_per_organization(
    make_api: Any, fake_state: Any
) -> None:
    api = await make_api(account_status_cache_seconds=3600)
    owner = await api.signup()
    other = await api.signup()
    status_path = ("GET", "/internal/account/status")
    before = len(fake_state.seen_at(*status_path))
    for _ in range(3):
        assert (await owner.client.get("/v1/members")).status_code == 200
    assert (await other.client.get("/v1/members")).status_code == 200
    asked = fake_state.seen_at(*status_path)[before:]
    assert sorted(s.identity.org_id for s in asked) == sorted([owner.org_id, other.org_id])

    # Deleted behind this gateway's back (another replica): the cached "active" holds
    # until it expires; a deletion this gateway forwards takes effect at once.
    fake_state.accounts[other.org_id] = {"org_id": other.org_id, "status": "purging"}
    assert (await other.client.get("/v1/members")).status_code == 200
    fresh = await make_api(account_status_cache_seconds=0)
    resp = await fresh.client().get(
        "/v1/members", headers={"Authorization": f"Bearer {await api.api_key(other)}"}
    )
    assert resp.status_code == 403
    assert "can no longer be restored" in resp.json()["error"]["message"]


async def test_without_privacy_an_unknown_account_status_fails_closed(make_api: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    api = await make_api(privacy_url=dead)
    owner = await api.signup()
    resp = await owner.client.get("/v1/members")
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "service_unavailable"
    assert (await owner.client.get("/v1/me")).status_code == 200


async def test_a_rep_sees_their_own_requests_only_and_officers_see_all(
    api: Any, fake_state: Any
) -> None:
    owner, rep, colleague, manager, officer = await api.team("rep", "rep", "manager", "compliance")
    call = fake_state.add_call(owner.org_id, rep.user_id)
    mine = (await rep.client.delete(f"/v1/calls/{call['id']}")).json()["id"]
    # A request about the rep, made by someone else: privacy would show it to them, the
    # gateway shows a rep only what they asked for themselves.
    about = await officer.client.post(
        "/v1/privacy/restriction", json={"subject": {"type": "user", "id": rep.user_id}}
    )
    assert about.status_code == 202

    seen = await rep.client.get(f"/v1/privacy/requests/{mine}")
    assert seen.status_code == 200
    assert seen.json()["requested_by"] == rep.user_id and seen.json()["kind"] == "erasure"
    assert seen.json()["download_url"] is None
    for outsider in (colleague, manager):
        assert (await outsider.client.get(f"/v1/privacy/requests/{mine}")).status_code == 404
    assert (await rep.client.get(f"/v1/privacy/requests/{about.json()['id']}")).status_code == 404
    assert (await officer.client.get(f"/v1/privacy/requests/{mine}")).status_code == 200


async def test_a_completed_export_is_downloaded_through_the_gateway_by_its_requester(
    api: Any, fake_state: Any
) -> None:
    owner, rep = await api.team("rep")
    made = await rep.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": rep.user_id}}
    )
    request_id = made.json()["id"]
    pending = (await rep.client.get(f"/v1/privacy/requests/{request_id}")).json()
    assert pending["download_url"] is None and pending["download_expires_at"] is None

    bundle = b"PK\x03\x04" + bytes(range(256)) * 64
    fake_state.finish_export(request_id, bundle)
    done = (await rep.client.get(f"/v1/privacy/requests/{request_id}")).json()
    link = done["download_url"]
    assert link.startswith("/v1/privacy/exports/") and "/internal/" not in link
    assert done["download_expires_at"] == "2030-01-01T09:15:00+00:00"

    resp = await rep.client.get(link)
    assert resp.status_code == 200 and resp.content == bundle
    assert resp.headers["content-type"] == "application/zip"
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert resp.headers["x-content-sha256"] == hashlib.sha256(bundle).hexdigest()
    fetched = fake_state.seen_at("GET", "/internal" + link.removeprefix("/v1/privacy"))[-1]
    assert (fetched.identity.user_id, fetched.identity.role) == (rep.user_id, "rep")

    # Anyone else, even the owner, gets no link and cannot use the rep's.
    officer_view = (await owner.client.get(f"/v1/privacy/requests/{request_id}")).json()
    assert officer_view["download_url"] is None
    assert (await owner.client.get(link)).status_code == 403
    bad = await rep.client.get("/v1/privacy/exports/not-a-token")
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "invalid_download_link"


async def test_a_rep_reaches_participants_of_calls_the_rep_sees_and_no_others(
    api: Any, fake_state: Any
) -> None:
    """Privacy has no calls to check against: for a participant of one of the rep's calls
    the gateway vouches (``system``, the rep as requester); anyone else is 404, and a
    participant's export (every call of theirs in the org) needs ``privacy.manage``."""
    owner = await api.signup()
    rep, other = await api.invite(owner, "rep"), await api.invite(owner, "rep")
    mine = {"name": "Cam", "email": "cam@customer.example", "role": "customer"}
    theirs = {"name": "Tess", "email": "tess@customer.example", "role": "customer"}
    fake_state.add_call(owner.org_id, rep.user_id, participants=[mine])
    fake_state.add_call(owner.org_id, other.user_id, participants=[theirs])
    erase = await rep.client.post(
        "/v1/privacy/erasure", json={"subject": {"type": "participant", "email": mine["email"]}}
    )
    assert erase.status_code == 202, erase.text
    vouched = fake_state.requests[erase.json()["id"]]
    assert (vouched["role"], vouched["requested_by"]) == ("system", rep.user_id)
    for kind, email, status in (
        ("erasure", theirs["email"], 404),
        ("restriction", theirs["email"], 404),
        ("export", mine["email"], 403),
    ):
        resp = await rep.client.post(
            f"/v1/privacy/{kind}", json={"subject": {"type": "participant", "email": email}}
        )
        assert resp.status_code == status, (kind, email, resp.text)
    by_id = await rep.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": rep.user_id}}
    )
    assert by_id.status_code == 202
    plain = fake_state.requests[by_id.json()["id"]]
    assert (plain["role"], plain["requested_by"]) == ("rep", rep.user_id)


async def test_an_erasure_certificate_and_its_key_are_served_and_verify_offline(
    api: Any, fake_state: Any
) -> None:
    _owner, officer, rep = await api.team("compliance", "rep")
    made = await officer.client.post(
        "/v1/privacy/erasure", json={"subject": {"type": "participant", "email": "z@cust.example"}}
    )
    request_id = made.json()["id"]
    path = f"/v1/privacy/requests/{request_id}/certificate"
    pending = await officer.client.get(path)
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "not_completed"

    fake_state.finish_erasure(request_id, {"request_id": request_id, "acknowledgements": []})
    cert = await officer.client.get(path)
    key = await officer.client.get("/v1/privacy/certificate-key")
    assert cert.status_code == 200 and key.status_code == 200
    record = verify_certificate(load_certificate(cert.content), key.json()["public_key"])
    assert record["request_id"] == request_id
    assert (await rep.client.get(path)).status_code == 404  # not theirs, not an officer
    assert (await api.client().get("/v1/privacy/certificate-key")).status_code == 401


async def test_no_erasure_takes_the_last_owner(api: Any) -> None:
    owner, admin = await api.team("admin")
    for who, subject in (
        (owner, {"type": "user", "id": owner.user_id}),
        (admin, {"type": "user", "id": owner.user_id}),
        (admin, {"type": "participant", "email": owner.email}),
    ):
        resp = await who.client.post("/v1/privacy/erasure", json={"subject": subject})
        assert resp.status_code == 409, (subject, resp.text)
        assert resp.json()["error"]["code"] == "last_owner"
