"""Zoom import on the running system: a local Zoom (OAuth, REST, downloads, signed
webhooks) and the real gateway, integrations, ingest, transcribe and score.

A recording Zoom announces becomes a scored call of the meeting's host, once; what
Zoom did not sign, signed too long ago, or sent before, records nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clashtor_callgen import generate_call, short_script
from clashtor_common.testing.waiting import poll_until, wait_until

from .client import Clashtor
from .stack import Stack

GUESTS = [("Carl Customer", "carl.customer@buyer.example")]


class ZoomAdmin:
    """What an organization's owner sees of its Zoom import."""

    def __init__(self, api: Clashtor) -> None:
        self.api = api

    def _read(self, path: str) -> Any:
        """The owner's GET of ``path``, which must answer 200: its JSON body."""
        resp = self.api.http.get(path, headers=self.api.bearer)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = self._read("/v1/integrations/zoom")
        return body

    def imports(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._read("/v1/integrations/zoom/imports")["items"]
        return items

    def import_once(self, title: str, status: str) -> dict[str, Any]:
        """The one import of that meeting, once it has ``status``."""

        def reached() -> dict[str, Any] | None:
            mine = [i for i in self.imports() if i["title"] == title]
            assert len(mine) == 1, mine
            return mine[0] if mine[0]["status"] == status else None

        found: dict[str, Any] = asyncio.run(wait_until(reached, timeout=120, every=0.5))
        return found

    def calls(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._read("/v1/calls")["items"]
        return items


class ZoomOrg(ZoomAdmin):
    """An organization whose owner connected their own Zoom account (OAuth)."""

    def __init__(self, stack: Stack, zoom: Any, *, token_lifetime: int = 3600) -> None:
        super().__init__(Clashtor(stack.gateway))
        self.api.signup()
        self.email = self.api.http.get("/v1/me", headers=self.api.bearer).json()["email"]
        self.zoom = zoom
        self.account_id = f"acct-{uuid.uuid4().hex[:10]}"
        self.connect(token_lifetime)

    def connect(self, token_lifetime: int = 3600) -> None:
        """The owner goes through Zoom's consent (as the Zoom user the stub added last)."""
        self.zoom_user = self.zoom.add_user(self.email, account_id=self.account_id)
        self.zoom.expires_in = token_lifetime
        try:
            done = self.api.http.get("/v1/integrations/zoom/authorize", follow_redirects=True)
        finally:
            self.zoom.expires_in = 3600
        assert done.status_code == 200, done.text
        assert done.url.path == "/settings/integrations"
        assert done.url.params.get("zoom") == "connected", done.url


def notify(stack: Stack, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{stack.gateway}/webhooks/zoom", content=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def org(stack: Stack, zoom_stub: Any) -> Iterator[ZoomOrg]:
    # Tokens issued at connection live 60 s, under the 5 min refresh margin: every use
    # must refresh first (and the stub kills the first ones below to prove it).
    connected = ZoomOrg(stack, zoom_stub, token_lifetime=60)
    yield connected
    connected.api.close()


def test_zoom_url_validation_is_answered_with_the_hmac_of_the_plain_token(
    stack: Stack, zoom_stub: Any
) -> None:
    plain = uuid.uuid4().hex
    body = zoom_stub.url_validation(plain)
    resp = notify(stack, body, zoom_stub.signed(body))
    assert resp.status_code == 200, resp.text
    expected = hmac.new(zoom_stub.secret_token.encode(), plain.encode(), hashlib.sha256)
    assert resp.json() == {"plainToken": plain, "encryptedToken": expected.hexdigest()}


def test_a_completed_recording_becomes_one_scored_call_of_the_host(
    stack: Stack, zoom_stub: Any, org: ZoomOrg
) -> None:
    generated = generate_call(short_script(), fmt="m4a")
    meeting = zoom_stub.add_meeting(
        org.zoom_user, generated.read_bytes(), topic="Discovery with Buyer Inc", guests=GUESTS
    )
    zoom_stub.expire_access_tokens()  # the connection's token must be refreshed, not used
    zoom_stub.fail_downloads.append(503)  # Zoom's storage has a bad moment: retried
    grants_before = len(zoom_stub.grants)

    body = zoom_stub.recording_completed(meeting)
    assert notify(stack, body, zoom_stub.signed(body)).status_code == 204
    # Zoom sends it again (a retry of its own: a new timestamp, a new signature).
    again = notify(stack, body, zoom_stub.signed(body, at=time.time() + 1))
    assert again.status_code == 204, again.text

    item = org.import_once("Discovery with Buyer Inc", "imported")
    assert item["file_type"] == "M4A" and item["attempts"] == 2
    assert "refresh_token" in zoom_stub.grants[grants_before:]

    call = org.api.wait_for_status(item["call_id"], "scored", timeout=300)
    assert call["title"] == "Discovery with Buyer Inc"
    people = {p["email"]: p["role"] for p in call["participants"]}
    assert people == {org.email: "rep", "carl.customer@buyer.example": "customer"}
    assert call["scorecard"] and call["metrics"]

    assert [c["id"] for c in org.calls()] == [item["call_id"]]
    status = org.status()
    assert status["connected"] and status["kind"] == "oauth"
    assert status["account_id"] == org.account_id and status["last_import_at"]


def test_a_bad_stale_or_replayed_notification_records_nothing(
    stack: Stack, zoom_stub: Any, org: ZoomOrg
) -> None:
    audio = generate_call(short_script(), fmt="m4a").read_bytes()
    meeting = zoom_stub.add_meeting(org.zoom_user, audio, topic="Refused", guests=GUESTS)
    body = zoom_stub.recording_completed(meeting)
    before = len(org.imports())

    forged = notify(stack, body, zoom_stub.signed(body, secret="not-the-secret-token"))
    assert forged.status_code == 401, forged.text
    assert forged.json()["error"]["code"] == "zoom_signature_invalid"
    stale = notify(stack, body, zoom_stub.signed(body, at=time.time() - 600))
    assert stale.status_code == 401, stale.text
    assert stale.json()["error"]["code"] == "zoom_stale"
    unsigned = notify(stack, body, {"content-type": "application/json"})
    assert unsigned.status_code == 401, unsigned.text
    garbage = b"{not json"
    assert notify(stack, garbage, zoom_stub.signed(garbage)).status_code == 400

    assert len(org.imports()) == before
    assert not [d for d in zoom_stub.downloads if d["file_id"] in meeting.files]

    # The same signed request twice: the second is a replay, refused, nothing more.
    headers = zoom_stub.signed(body)
    assert notify(stack, body, headers).status_code == 204
    replay = notify(stack, body, headers)
    assert replay.status_code == 409, replay.text
    assert replay.json()["error"]["code"] == "zoom_replayed"
    assert len(org.imports()) == before + 1


def test_a_zoom_app_removed_asks_for_reconnection_then_imports_what_it_missed(
    stack: Stack, zoom_stub: Any
) -> None:
    org = ZoomOrg(stack, zoom_stub)
    try:
        zoom_stub.uninstall(org.zoom_user)  # every token dead, an hour before its expiry
        audio = generate_call(short_script(), fmt="m4a").read_bytes()
        meeting = zoom_stub.add_meeting(org.zoom_user, audio, topic="While revoked", guests=[])
        body = zoom_stub.recording_completed(meeting)
        assert notify(stack, body, zoom_stub.signed(body)).status_code == 204

        failed = org.import_once("While revoked", "failed")
        assert "connect Zoom again" in failed["error"] and failed["call_id"] is None
        status = org.status()
        assert status["connected"] and status["needs_reauthorization"] is True
        assert "connect Zoom again" in status["last_failure"]

        org.connect()  # the owner connects the same Zoom account again
        assert org.status()["needs_reauthorization"] is False
        imported = org.import_once("While revoked", "imported")
        assert imported["id"] == failed["id"] and imported["call_id"]
        assert [c["id"] for c in org.calls()] == [imported["call_id"]]
    finally:
        org.api.close()


def test_a_recording_whose_host_has_no_account_is_a_visible_failure(
    stack: Stack, zoom_stub: Any, org: ZoomOrg
) -> None:
    stranger = zoom_stub.add_user(
        f"stranger-{uuid.uuid4().hex[:6]}@elsewhere.example", account_id=org.account_id
    )
    audio = generate_call(short_script(), fmt="m4a").read_bytes()
    meeting = zoom_stub.add_meeting(stranger, audio, topic="Nobody we know", guests=GUESTS)
    body = zoom_stub.recording_completed(meeting)
    assert notify(stack, body, zoom_stub.signed(body)).status_code == 204

    failed = [i for i in org.imports() if i["title"] == "Nobody we know"]
    assert [i["status"] for i in failed] == ["failed"]
    assert "no Clashtor account" in failed[0]["error"] and failed[0]["call_id"] is None
    assert "no Clashtor account" in (org.status()["last_failure"] or "")


def test_a_recording_downloading_when_its_host_is_erased_never_becomes_a_call(
    stack: Stack, zoom_stub: Any
) -> None:
    org = ZoomOrg(stack, zoom_stub)
    rep = Clashtor(stack.gateway)
    try:
        token, email = org.api.invite("rep")
        rep_id = rep.accept(token, "Rita Rep")["user"]["id"]
        host = zoom_stub.add_user(email, account_id=org.account_id)
        audio = generate_call(short_script(), fmt="m4a").read_bytes()
        leaving = zoom_stub.add_meeting(host, audio, topic="Rita's last call", guests=GUESTS)
        downloads = len(zoom_stub.downloads)
        zoom_stub.hold_downloads = threading.Event()  # half the file, then Zoom waits
        try:
            body = zoom_stub.recording_completed(leaving)
            assert notify(stack, body, zoom_stub.signed(body)).status_code == 204
            poll_until(lambda: len(zoom_stub.downloads) > downloads, what="the download")
            request_id = org.api.privacy("erasure", {"type": "user", "id": rep_id})
            assert org.api.wait_for_request(request_id)["status"] == "completed"
        finally:
            zoom_stub.hold_downloads.set()
            zoom_stub.hold_downloads = None

        # The importer works its jobs one after the other: once a recording announced
        # after the erasure is imported, it is past the one that was downloading.
        later = zoom_stub.add_meeting(org.zoom_user, audio, topic="After the erasure", guests=[])
        body = zoom_stub.recording_completed(later)
        assert notify(stack, body, zoom_stub.signed(body)).status_code == 204
        item = org.import_once("After the erasure", "imported")
        assert [c["id"] for c in org.calls()] == [item["call_id"]]
        assert [i["title"] for i in org.imports()] == ["After the erasure"]
    finally:
        rep.close()
        org.api.close()


def connect_s2s(api: Clashtor, app: Any) -> httpx.Response:
    return api.http.post(
        "/v1/integrations/zoom/server-to-server", headers=api.bearer, json=app.credentials()
    )


def test_server_to_server_oauth_connects_the_organizations_own_app(
    stack: Stack, zoom_stub: Any
) -> None:
    """An organization connects with the credentials of the app its admin made inside
    its Zoom account; that app's notifications, at the connection's own URL, become
    scored calls of the host."""
    api = Clashtor(stack.gateway)
    try:
        api.signup()
        email = api.http.get("/v1/me", headers=api.bearer).json()["email"]
        app = zoom_stub.add_s2s_app()
        resp = connect_s2s(api, app)
        assert resp.status_code == 200, resp.text
        status = resp.json()
        assert status["kind"] == "server_to_server" and status["account_id"] == app.account_id
        assert zoom_stub.grants[-1] == "account_credentials"
        assert app.client_secret not in resp.text and app.secret_token not in resp.text
        url = status["webhook_url"]
        assert url.startswith(f"{stack.gateway}/webhooks/zoom/"), url
        shown = ZoomAdmin(api).status()
        assert shown["webhook_url"] == url
        assert not {app.client_secret, app.secret_token} & set(map(str, shown.values()))

        # Zoom checks the endpoint with the app's own secret token.
        plain = uuid.uuid4().hex
        check = zoom_stub.url_validation(plain)
        answer = httpx.post(
            url, content=check, headers=zoom_stub.signed(check, secret=app.secret_token)
        )
        assert answer.status_code == 200, answer.text
        expected = hmac.new(app.secret_token.encode(), plain.encode(), hashlib.sha256)
        assert answer.json()["encryptedToken"] == expected.hexdigest()

        host = zoom_stub.add_user(email, account_id=app.account_id)
        audio = generate_call(short_script(), fmt="m4a").read_bytes()
        meeting = zoom_stub.add_meeting(host, audio, topic="S2S discovery", guests=GUESTS)
        body = zoom_stub.recording_completed(meeting)
        sent = httpx.post(
            url, content=body, headers=zoom_stub.signed(body, secret=app.secret_token)
        )
        assert sent.status_code == 204, sent.text

        item = ZoomAdmin(api).import_once("S2S discovery", "imported")
        call = api.wait_for_status(item["call_id"], "scored", timeout=300)
        people = {p["email"]: p["role"] for p in call["participants"]}
        assert people == {email: "rep", "carl.customer@buyer.example": "customer"}

        gone = api.http.delete("/v1/integrations/zoom/connection", headers=api.bearer)
        assert gone.status_code == 204
        assert ZoomAdmin(api).status() == {
            "connected": False,
            "kind": None,
            "account_id": None,
            "connected_at": None,
            "last_import_at": None,
            "last_failure": None,
            "last_failure_at": None,
            "needs_reauthorization": False,
            "client_id": None,
            "webhook_url": None,
        }
        late = zoom_stub.signed(body, secret=app.secret_token, at=time.time() + 1)
        assert httpx.post(url, content=body, headers=late).status_code == 404
    finally:
        api.close()


def test_a_stranger_can_neither_claim_an_account_nor_have_its_recordings_recorded(
    stack: Stack, zoom_stub: Any
) -> None:
    """Issue #16: anyone can sign up and be an organization's admin. Without the
    account's client secret they cannot connect it; with an app of their own they
    cannot get another account's recordings recorded in their organization."""
    owner, stranger = Clashtor(stack.gateway), Clashtor(stack.gateway)
    try:
        owner.signup()
        stranger.signup()
        app, strangers_app = zoom_stub.add_s2s_app(), zoom_stub.add_s2s_app()
        connected = connect_s2s(owner, app)
        assert connected.status_code == 200, connected.text

        guessed = connect_s2s(stranger, dataclasses.replace(app, client_secret="a-guess"))
        assert guessed.status_code == 422, guessed.text
        assert guessed.json()["error"]["code"] == "zoom_credentials_refused"
        assert ZoomAdmin(stranger).status()["connected"] is False
        shown = ZoomAdmin(owner).status()
        assert shown == connected.json(), "the owner's connection is untouched"

        own = connect_s2s(stranger, strangers_app)
        assert own.status_code == 200, own.text
        host = zoom_stub.add_user(
            f"host-{uuid.uuid4().hex[:6]}@seller.example", account_id=app.account_id
        )
        meeting = zoom_stub.add_meeting(host, b"audio", topic="Owner's secret deal", guests=[])
        body = zoom_stub.recording_completed(meeting)
        # The owner's account's recording, sent to the stranger's URL and signed with
        # the stranger's own secret token: refused, recorded nowhere.
        forged = httpx.post(
            own.json()["webhook_url"],
            content=body,
            headers=zoom_stub.signed(body, secret=strangers_app.secret_token),
        )
        assert forged.status_code == 422, forged.text
        # At the owner's URL with a signature not made with the owner's secret token.
        wrong = httpx.post(
            shown["webhook_url"],
            content=body,
            headers=zoom_stub.signed(body, secret=strangers_app.secret_token),
        )
        assert wrong.status_code == 401, wrong.text
        assert wrong.json()["error"]["code"] == "zoom_signature_invalid"
        assert ZoomAdmin(owner).imports() == [] and ZoomAdmin(stranger).imports() == []
    finally:
        owner.close()
        stranger.close()
