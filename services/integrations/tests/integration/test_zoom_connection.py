"""Zoom import inside the integrations service: OAuth against a local Zoom, tokens
sealed and refreshed before expiry, notifications recorded once, failures kept where
admins see them, and the Zoom data in erasure and export.

(A recording imported all the way to a scored call, through the gateway and ingest,
is ``tests/e2e/test_zoom_import.py``.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlmodel import col, select

from clashtor_common.events import ErasureCompleted, ErasureRequested, ExportRequested, Subject
from clashtor_common.telemetry import add_span_processor
from clashtor_common.testing.apps import identity_headers
from clashtor_common.testing.events import erasure_requested
from clashtor_common.testing.kafka import event_for
from clashtor_common.testing.waiting import wait_until
from integrations.adapters.tables import ZoomConnection, ZoomImport
from integrations.adapters.zoom import meeting_path_id
from integrations.context import IntegrationsContext
from integrations.domain.zoom import hmac_hex, pick_recording
from integrations.service_layer import privacy
from integrations.service_layer.zoom import ZoomAuthorizationRevoked
from integrations.settings import IntegrationsSettings

from .conftest import Api, IngestStandIn, lock_waiters
from .zoom_stub import Meeting, S2SApp, ZoomStub

pytestmark = pytest.mark.slow


def new_org() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"


async def connect(api: Api, zoom: ZoomStub, org: str, account: str | None = None) -> str:
    """Connect ``org`` to a Zoom account (a new one of its own unless ``account`` is
    given) through the OAuth dance; the account's id."""
    account = account or f"acct-{uuid.uuid4().hex[:10]}"
    zoom.add_user(f"admin-{uuid.uuid4().hex[:6]}@seller.example", account_id=account)
    started = await api.call("POST", "/internal/zoom/authorize", org)
    assert started.status_code == 200, started.text
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(started.json()["url"])
    assert consent.status_code == 302
    back = httpx.URL(consent.headers["location"])
    assert back.path == "/v1/integrations/zoom/callback"
    done = await api.call(
        "POST",
        "/internal/zoom/callback",
        org,
        json={"code": back.params["code"], "state": back.params["state"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["connected"] and done.json()["account_id"] == account
    return account


def add_host(zoom: ZoomStub, account: str) -> str:
    """A Zoom user of ``account`` who hosts meetings; their Zoom user id."""
    return zoom.add_user(f"host-{uuid.uuid4().hex[:6]}@seller.example", account_id=account)


async def connected_host(api: Api, zoom: ZoomStub) -> tuple[str, str]:
    """A new organization connected to a Zoom account of its own, and a host of that
    account: (org id, Zoom user id)."""
    org = new_org()
    return org, add_host(zoom, await connect(api, zoom, org))


async def notify(
    api: Api,
    body: bytes,
    headers: dict[str, str],
    host: tuple[str, str] | None = None,
    *,
    key: str | None = None,
) -> httpx.Response:
    """A notification as the gateway forwards it: to the deployment's app's route, or
    to a Server-to-Server connection's own (``key``: its webhook key)."""
    if host is not None:
        headers = {**headers, **identity_headers(api.secret, host[0], user_id=host[1], role="rep")}
    path = "/internal/zoom/events" + (f"/{key}" if key else "")
    return await api.http.post(path, content=body, headers=headers)


async def connect_s2s(api: Api, org: str, app: S2SApp) -> str:
    """Connect ``org`` with its own Server-to-Server app; the key of its webhook URL."""
    done = await api.call("POST", "/internal/zoom/server-to-server", org, json=app.credentials())
    assert done.status_code == 200, done.text
    status = done.json()
    assert status["kind"] == "server_to_server" and status["account_id"] == app.account_id
    url = httpx.URL(status["webhook_url"])
    assert url.path.startswith("/webhooks/zoom/")
    return url.path.removeprefix("/webhooks/zoom/")


async def imports(api: Api, org: str) -> list[dict[str, Any]]:
    resp = await api.call("GET", "/internal/zoom/imports", org)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


async def test_oauth_tokens_are_sealed_and_refreshed_before_they_expire(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org = new_org()
    zoom_stub.expires_in = 60  # under the 5 minute margin: the next use refreshes first
    try:
        await connect(api, zoom_stub, org)
    finally:
        zoom_stub.expires_in = 3600
    async with ctx.db.session() as session:
        conn = await session.get(ZoomConnection, org)
        assert conn is not None and conn.kind == "oauth"
        first = ctx.keyring.decrypt_text(
            conn.access_token_enc, f"integrations:zoom:{org}:access".encode()
        )
        sealed = conn.access_token_enc + (conn.refresh_token_enc or b"")
    assert first.encode() not in sealed and b"zr-" not in sealed
    zoom_stub.expire_access_tokens()

    grants = len(zoom_stub.grants)
    token = await ctx.zoom_importer.tokens.access_token(org)
    assert token != first and zoom_stub.grants[grants:] == ["refresh_token"]
    me = await ctx.zoom.client.me(token)  # the new token works; the old one is dead
    assert me["account_id"]
    # Fresh for an hour now: the next use takes it as it is.
    assert await ctx.zoom_importer.tokens.access_token(org) == token
    assert zoom_stub.grants[grants:] == ["refresh_token"]


async def test_an_authorization_state_is_single_use_and_bound_to_its_organization(
    api: Api, zoom_stub: ZoomStub
) -> None:
    org, other = new_org(), new_org()
    zoom_stub.add_user("someone@seller.example", account_id=f"acct-{uuid.uuid4().hex[:8]}")
    started = await api.call("POST", "/internal/zoom/authorize", org)
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(started.json()["url"])
    back = httpx.URL(consent.headers["location"])
    form = {"code": back.params["code"], "state": back.params["state"]}

    stolen = await api.call("POST", "/internal/zoom/callback", other, json=form)
    assert stolen.status_code == 422 and stolen.json()["error"]["code"] == "zoom_state_invalid"
    again = await api.call("POST", "/internal/zoom/callback", org, json=form)
    assert again.status_code == 422, "a state works once, whoever used it"
    assert (await api.call("GET", "/internal/zoom", other)).json()["connected"] is False
    rep = await api.call("POST", "/internal/zoom/authorize", org, role="rep")
    assert rep.status_code == 403


async def test_a_failed_download_is_retried_while_transient_then_shown_to_admins(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, settings: IntegrationsSettings
) -> None:
    org, host = await connected_host(api, zoom_stub)
    meeting = zoom_stub.add_meeting(host, b"not audio at all", topic="Pipeline review", guests=[])
    body = zoom_stub.recording_completed(meeting, with_download_token=True)
    zoom_stub.fail_downloads[:] = [503, 404]

    resp = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
    assert resp.status_code == 204, resp.text
    assert await ctx.zoom_importer.run_once() >= 1
    [item] = await imports(api, org)
    assert item["status"] == "pending" and item["attempts"] == 1
    assert "503" in item["error"] and item["title"] == "Pipeline review"
    assert zoom_stub.downloads[-1]["by"] == "token"  # the webhook's download_token

    async def retried() -> list[dict[str, Any]]:
        await ctx.zoom_importer.run_once()
        found = await imports(api, org)
        return found if found[0]["status"] != "pending" else []

    [item] = await wait_until(retried, timeout=30, every=0.2)
    assert item["status"] == "failed" and item["attempts"] == 2 and "404" in item["error"]
    assert item["call_id"] is None
    status = (await api.call("GET", "/internal/zoom", org)).json()
    assert "404" in status["last_failure"] and status["last_import_at"] is None

    # The same recording announced again (Zoom's own retry) changes nothing.
    resp = await notify(
        api, body, zoom_stub.signed(body, at=time.time() + 1), host=(org, "user-host")
    )
    assert resp.status_code == 204
    assert [i["id"] for i in await imports(api, org)] == [item["id"]]


def signed_at(secret: str, timestamp: str, body: bytes) -> dict[str, str]:
    """Zoom's headers for ``body`` signed with ``secret`` at ``timestamp``, as given."""
    digest = hmac_hex(secret, b"v0:" + timestamp.encode() + b":" + body)
    return {"x-zm-request-timestamp": timestamp, "x-zm-signature": f"v0={digest}"}


async def test_refused_notifications_record_nothing(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org, host = await connected_host(api, zoom_stub)
    meeting = zoom_stub.add_meeting(host, b"x", topic="Refused", guests=[])
    body = zoom_stub.recording_completed(meeting)

    refusals = [
        (zoom_stub.signed(body, secret="wrong"), 401, "zoom_signature_invalid"),
        (zoom_stub.signed(body, at=time.time() - 301), 401, "zoom_stale"),
        ({"x-zm-request-timestamp": str(int(time.time()))}, 401, "zoom_signature_invalid"),
        # signed, at a time no clock reaches: never stale, so replayable once pruned
        (signed_at(zoom_stub.secret_token, "nan", body), 401, "zoom_stale"),
        (zoom_stub.signed(b"[]"), 401, "zoom_signature_invalid"),  # signed another body
    ]
    for headers, status, code in refusals:
        resp = await notify(api, body, headers, host=(org, "user-host"))
        assert resp.status_code == status, resp.text
        assert resp.json()["error"]["code"] == code
    nested = b'{"event": "x", "payload": ' * 50_000  # signed: a S2S app's admin signs anything
    for garbage in (b"{", b"[]", b'{"event": "recording.completed"}', b"[" * 100_000, nested):
        resp = await notify(api, garbage, zoom_stub.signed(garbage))
        assert resp.status_code == 400, resp.text
    assert await imports(api, org) == []

    # An account no organization connected: taken (Zoom must not retry), nothing kept.
    stranger = zoom_stub.add_user("x@elsewhere.example", account_id="acct-nobody")
    elsewhere = zoom_stub.add_meeting(stranger, b"x", topic="t", guests=[])
    lost = zoom_stub.recording_completed(elsewhere)
    assert (await notify(api, lost, zoom_stub.signed(lost))).status_code == 204
    async with ctx.db.session() as session:
        found = await session.execute(
            select(ZoomImport).where(
                col(ZoomImport.meeting_uuid).in_([meeting.uuid, elsewhere.uuid])
            )
        )
        assert found.first() is None


async def test_the_same_recording_announced_twice_at_once_is_one_import_and_no_500(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    """Zoom retries a notification it thinks was lost (a new timestamp, so a new
    signature): two requests about one recording can be in flight together, both find
    no import yet, and the later INSERT breaks (org, file)'s unique key. It is the same
    recording, taken (204) and recorded once, with its receipt (a replay stays 409)."""
    if ctx.db.is_sqlite:
        pytest.skip("SQLite runs one writing transaction at a time: no insert to wait on")
    org, host = await connected_host(api, zoom_stub)
    meeting = zoom_stub.add_meeting(host, b"audio", topic="Announced twice", guests=[])
    body = zoom_stub.recording_completed(meeting)
    files = json.loads(body)["payload"]["object"]["recording_files"]
    chosen = pick_recording(files)
    assert chosen is not None
    headers = zoom_stub.signed(body)

    async with ctx.db.session() as other:  # the other request, between INSERT and commit
        other.add(
            ZoomImport(
                id=str(uuid.uuid4()),
                org_id=org,
                file_id=chosen.file_id,
                meeting_uuid=meeting.uuid,
                file_type=chosen.file_type,
                download_url_enc=b"sealed",
            )
        )
        await other.flush()
        second = asyncio.create_task(notify(api, body, headers, host=(org, "user-host")))
        await wait_until(lambda: lock_waiters(ctx, second, ZoomImport.__tablename__))
    resp = await second
    assert resp.status_code == 204, resp.text
    async with ctx.db.session() as session:
        found = await session.execute(select(ZoomImport.id).where(col(ZoomImport.org_id) == org))
        assert len(found.all()) == 1
    again = await notify(api, body, headers, host=(org, "user-host"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "zoom_replayed"


class Lines(logging.Handler):
    """Every log line of the process while attached to the root logger."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


async def test_a_recordings_download_token_never_reaches_the_logs_or_the_traces(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    """The webhook's download token opens the recording for a day: it goes to Zoom in
    the download's query (Zoom's documented form), and must not go to our logs or spans
    with the URL (httpx logs every request's URL at INFO, its instrumentation puts it
    on the client span)."""
    spans = InMemorySpanExporter()
    add_span_processor(SimpleSpanProcessor(spans))
    org, host = await connected_host(api, zoom_stub)
    meeting = zoom_stub.add_meeting(host, b"audio", topic="Logged?", guests=[])
    body = zoom_stub.recording_completed(meeting, with_download_token=True)
    token = json.loads(body)["download_token"]
    await settle(ctx)
    lines = Lines()
    logging.getLogger().addHandler(lines)
    try:
        resp = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
        assert resp.status_code == 204, resp.text
        assert await ctx.zoom_importer.run_once() == 1
    finally:
        logging.getLogger().removeHandler(lines)
    assert zoom_stub.downloads[-1]["by"] == "token"
    assert [i["status"] for i in await imports(api, org)] == ["imported"]
    assert logging.getLogger("integrations").isEnabledFor(logging.INFO), "logs are on"
    assert [line for line in lines.lines if token in line] == []
    attributes = [str(v) for span in spans.get_finished_spans() for v in span.attributes.values()]
    spans.shutdown()
    assert any("/rec/download/" in v for v in attributes), "the download has its span"
    assert [v for v in attributes if token in v] == []


async def test_erasure_and_export_cover_the_zoom_connection_and_imports(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org, host = await connected_host(api, zoom_stub)
    for topic in ("Renewal with Acme", "Kickoff with Beta"):
        meeting = zoom_stub.add_meeting(host, b"x", topic=topic, guests=[])
        body = zoom_stub.recording_completed(meeting)
        resp = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
        assert resp.status_code == 204

    async with ctx.db.session() as session:
        exported = await privacy.export_items(
            session,
            ExportRequested(request_id="r1", subject=Subject(type="organization", id=org)),
            org,
            ctx.keyring,
        )
    kinds = [i["kind"] for i in exported]
    assert kinds.count("zoom_connection") == 1 and kinds.count("zoom_import") == 2
    assert {i["title"] for i in exported if i["kind"] == "zoom_import"} == {
        "Renewal with Acme",
        "Kickoff with Beta",
    }
    assert all("token" not in key for i in exported for key in i)

    done = await erase(ctx, org, erasure_requested("user", "user-host", request_id="r2"))
    assert done.removed["zoom_imports"] == 2
    assert await imports(api, org) == []
    done = await erase(ctx, org, erasure_requested("organization", org, request_id="r3"))
    assert done.removed["zoom_connection"] == 1
    assert (await api.call("GET", "/internal/zoom", org)).json()["connected"] is False


async def erase(ctx: IntegrationsContext, org: str, request: ErasureRequested) -> ErasureCompleted:
    """Integrations' erasure of ``request`` in org ``org``, in a transaction of its own."""
    async with ctx.db.session() as session:
        return await privacy.erase_subject(ctx, session, event_for(request, org), request)


def sealed_tokens(ctx: IntegrationsContext, conn: ZoomConnection) -> tuple[str, str | None]:
    """The connection's access and refresh tokens, unsealed."""
    aad = f"integrations:zoom:{conn.org_id}:".encode()
    access = ctx.keyring.decrypt_text(conn.access_token_enc, aad + b"access")
    if conn.refresh_token_enc is None:
        return access, None
    return access, ctx.keyring.decrypt_text(conn.refresh_token_enc, aad + b"refresh")


async def tokens_of(ctx: IntegrationsContext, org: str) -> tuple[str, str | None]:
    async with ctx.db.session() as session:
        conn = await session.get(ZoomConnection, org)
        assert conn is not None
        return sealed_tokens(ctx, conn)


async def settle(ctx: IntegrationsContext) -> None:
    """Work off what earlier tests left due, so what Zoom sees next is this test's."""
    while await ctx.zoom_importer.run_once():
        pass


def asked_about(zoom: ZoomStub, meeting: Meeting, since: int) -> list[str]:
    """REST requests about ``meeting`` since the ``since``-th request."""
    return [p for p in zoom.api_calls[since:] if meeting_path_id(meeting.uuid) in p]


async def test_a_token_zoom_rejects_before_its_expiry_is_renewed_once_and_the_import_goes_on(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn
) -> None:
    org, host = await connected_host(api, zoom_stub)
    guest = f"guest-{uuid.uuid4().hex[:6]}@buyer.example"
    meeting = zoom_stub.add_meeting(host, b"audio", topic="Revoked early", guests=[("G", guest)])
    body = zoom_stub.recording_completed(meeting, with_download_token=True)
    await settle(ctx)
    revoked, _ = await tokens_of(ctx, org)
    zoom_stub.revoke(revoked)  # an hour left on it, but Zoom says 401 from now on
    zoom_stub.expire_download_tokens()  # and the webhook's download token is past its day
    grants, calls, downloads = zoom_stub.requests_so_far()

    resp = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
    assert resp.status_code == 204, resp.text
    assert await ctx.zoom_importer.run_once() == 1

    [item] = await imports(api, org)
    assert item["status"] == "imported", item
    assert item["attempts"] == 1 and item["call_id"] and item["error"] is None
    assert zoom_stub.grants[grants:] == ["refresh_token"], "renewed once, for both calls"
    assert len(asked_about(zoom_stub, meeting, calls)) == 2  # 401, then the participants
    assert [d["by"] for d in zoom_stub.downloads[downloads:]] == ["token", "bearer"]
    assert guest.encode() in ingest.uploads[-1], "participants came with the renewed token"
    renewed, _ = await tokens_of(ctx, org)
    assert renewed != revoked
    status = (await api.call("GET", "/internal/zoom", org)).json()
    assert status["needs_reauthorization"] is False and status["last_failure"] is None


@pytest.mark.parametrize("kind", ["oauth", "server_to_server"])
async def test_a_refused_renewal_asks_for_reauthorization_and_zoom_is_left_alone(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn, kind: str
) -> None:
    org = new_org()
    app, key = None, None
    if kind == "oauth":
        account = await connect(api, zoom_stub, org)
    else:
        app = zoom_stub.add_s2s_app()
        key = await connect_s2s(api, org, app)
        account = app.account_id
    host = add_host(zoom_stub, account)

    async def announce(meeting: Meeting) -> httpx.Response:
        body = zoom_stub.recording_completed(meeting)
        signed = zoom_stub.signed(body, secret=app.secret_token if app else None)
        return await notify(api, body, signed, host=(org, "user-host"), key=key)

    first, second, third = (
        zoom_stub.add_meeting(host, b"audio", topic=f"Meeting {n}", guests=[]) for n in range(3)
    )
    await settle(ctx)
    access, refresh = await tokens_of(ctx, org)
    zoom_stub.revoke(access, refresh)  # the app was removed from the Zoom account
    secret = app.client_secret if app else ""
    if app is not None:
        app.client_secret = "rotated-on-zoom"  # the app's credentials: 401 invalid_client
    try:
        for meeting in (first, second):
            resp = await announce(meeting)
            assert resp.status_code == 204, resp.text
        grants, calls, downloads = zoom_stub.requests_so_far()
        uploads = len(ingest.uploads)
        assert await ctx.zoom_importer.run_once() == 2

        # One rejected call, one refused renewal, then nothing more asked of Zoom.
        expected_grant = "refresh_token" if kind == "oauth" else "account_credentials"
        assert zoom_stub.grants[grants:] == [expected_grant]
        assert len(zoom_stub.api_calls[calls:]) == 1
        assert zoom_stub.downloads[downloads:] == [] and len(ingest.uploads) == uploads
        listed = await imports(api, org)
        assert [i["status"] for i in listed] == ["failed", "failed"]
        for item in listed:
            assert "connect Zoom again" in item["error"] and item["call_id"] is None
        status = (await api.call("GET", "/internal/zoom", org)).json()
        assert status["connected"] is True and status["needs_reauthorization"] is True
        assert "connect Zoom again" in status["last_failure"]

        # A recording announced meanwhile fails at once, without a word to Zoom.
        await announce(third)
        before = zoom_stub.requests_so_far()
        assert await ctx.zoom_importer.run_once() == 1
        assert zoom_stub.requests_so_far() == before
        assert [i["status"] for i in await imports(api, org)] == ["failed"] * 3
    finally:
        if app is not None:
            app.client_secret = secret

    # Connecting the account again clears the mark, and the refused imports are due again.
    if app is None:
        await connect(api, zoom_stub, org, account)
    else:
        assert await connect_s2s(api, org, app) == key, "the same URL for the same account"
    status = (await api.call("GET", "/internal/zoom", org)).json()
    assert status["needs_reauthorization"] is False and status["last_failure"] is None
    assert [i["status"] for i in await imports(api, org)] == ["pending"] * 3
    await settle(ctx)
    done = await imports(api, org)
    assert [i["status"] for i in done] == ["imported"] * 3 and all(i["call_id"] for i in done)
    assert len(ingest.uploads) == uploads + 3
    assert (await api.call("DELETE", "/internal/zoom/connection", org)).status_code == 204


async def test_the_app_removed_on_zoom_forgets_the_tokens_until_zoom_is_connected_again(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org = new_org()
    account = await connect(api, zoom_stub, org)
    [admin] = [u for u, v in zoom_stub.users.items() if v["account_id"] == account]
    removed = zoom_stub.app_deauthorized(admin)
    assert (await notify(api, removed, zoom_stub.signed(removed))).status_code == 204
    status = (await api.call("GET", "/internal/zoom", org)).json()
    assert status["needs_reauthorization"] is True and "removed" in status["last_failure"]
    async with ctx.db.session() as session:
        conn = await session.get(ZoomConnection, org)
        assert conn is not None and conn.access_token_enc == b"" and conn.refresh_token_enc is None

    # A recording announced meanwhile fails at once, without a word to Zoom ...
    meeting = zoom_stub.add_meeting(
        add_host(zoom_stub, account), b"audio", topic="After removal", guests=[]
    )
    body = zoom_stub.recording_completed(meeting)
    await settle(ctx)
    before = zoom_stub.requests_so_far()
    resp = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
    assert resp.status_code == 204, resp.text
    assert await ctx.zoom_importer.run_once() == 1
    assert zoom_stub.requests_so_far() == before
    [item] = await imports(api, org)
    assert item["status"] == "failed" and "connect Zoom again" in item["error"]

    # ... and is imported once the account is connected again.
    await connect(api, zoom_stub, org, account)
    await settle(ctx)
    [item] = await imports(api, org)
    assert item["status"] == "imported" and item["call_id"]


# Server-to-Server OAuth: each organization's own app (issue #16) ------------------------


async def test_server_to_server_needs_the_accounts_own_app_credentials_which_stay_sealed(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org, stranger = new_org(), new_org()
    app = zoom_stub.add_s2s_app()
    refusals = [
        {**app.credentials(), "client_secret": "guessed"},
        # the deployment's own OAuth app cannot speak for a customer's account
        {
            **app.credentials(),
            "client_id": zoom_stub.client_id,
            "client_secret": zoom_stub.client_secret,
        },
        {**app.credentials(), "account_id": zoom_stub.add_s2s_app().account_id},
    ]
    for form in refusals:
        refused = await api.call("POST", "/internal/zoom/server-to-server", org, json=form)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "zoom_credentials_refused"
        assert (await api.call("GET", "/internal/zoom", org)).json()["connected"] is False
    missing = await api.call(
        "POST", "/internal/zoom/server-to-server", org, json={"account_id": app.account_id}
    )
    assert missing.status_code == 422, missing.text
    rep = await api.call(
        "POST", "/internal/zoom/server-to-server", org, role="rep", json=app.credentials()
    )
    assert rep.status_code == 403

    key = await connect_s2s(api, org, app)
    status = await api.call("GET", "/internal/zoom", org)
    assert status.json()["client_id"] == app.client_id
    assert status.json()["webhook_url"].endswith(f"/webhooks/zoom/{key}") and len(key) >= 40
    for secret in (app.client_secret, app.secret_token):
        assert secret not in status.text
    async with ctx.db.session() as session:
        conn = await session.get(ZoomConnection, org)
        assert conn is not None and conn.client_secret_enc and conn.webhook_secret_enc
        sealed = conn.client_secret_enc + conn.webhook_secret_enc
    assert app.client_secret.encode() not in sealed and app.secret_token.encode() not in sealed

    # A stranger cannot claim the account without its client secret, and the account's
    # connection is left as it was. With the secret it is still the first organization's:
    # that one must disconnect first.
    guessed = {**app.credentials(), "client_secret": "stolen-guess"}
    claim = await api.call("POST", "/internal/zoom/server-to-server", stranger, json=guessed)
    assert claim.status_code == 422, claim.text
    assert (await api.call("GET", "/internal/zoom", stranger)).json()["connected"] is False
    proven = await api.call(
        "POST", "/internal/zoom/server-to-server", stranger, json=app.credentials()
    )
    assert proven.status_code == 409 and proven.json()["error"]["code"] == "zoom_account_taken"
    assert (await api.call("GET", "/internal/zoom", org)).json() == status.json()


async def test_connects_at_the_same_moment_give_one_connection_and_no_500(
    api: Api, zoom_stub: ZoomStub
) -> None:
    app = zoom_stub.add_s2s_app()
    orgs = [new_org(), new_org()]
    answers = await asyncio.gather(
        *(
            api.call("POST", "/internal/zoom/server-to-server", org, json=app.credentials())
            for org in orgs
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    taken = next(a for a in answers if a.status_code == 409)
    assert taken.json()["error"]["code"] == "zoom_account_taken"

    twice = new_org()
    other = zoom_stub.add_s2s_app()
    answers = await asyncio.gather(
        *(
            api.call("POST", "/internal/zoom/server-to-server", twice, json=other.credentials())
            for _ in range(2)
        )
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    status = (await api.call("GET", "/internal/zoom", twice)).json()
    assert status["connected"] and status["account_id"] == other.account_id


async def test_a_server_to_server_app_is_heard_only_at_its_own_url_for_its_own_account(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, ingest: IngestStandIn
) -> None:
    org, stranger = new_org(), new_org()
    app, strangers_app = zoom_stub.add_s2s_app(), zoom_stub.add_s2s_app()
    key = await connect_s2s(api, org, app)
    strangers_key = await connect_s2s(api, stranger, strangers_app)
    host = add_host(zoom_stub, app.account_id)
    meeting = zoom_stub.add_meeting(host, b"audio", topic="Board prep", guests=[])
    body = zoom_stub.recording_completed(meeting)
    await settle(ctx)

    plain = uuid.uuid4().hex
    check = zoom_stub.url_validation(plain)
    answer = await notify(api, check, zoom_stub.signed(check, secret=app.secret_token), key=key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["encryptedToken"] == hmac_hex(app.secret_token, plain)

    refusals = [
        # the deployment's secret token at the app's URL, the app's at the deployment's
        (key, zoom_stub.signed(body), 401, "zoom_signature_invalid"),
        (None, zoom_stub.signed(body, secret=app.secret_token), 401, "zoom_signature_invalid"),
        ("no-such-key", zoom_stub.signed(body, secret=app.secret_token), 404, None),
        # the stranger's own app, correctly signed, about the other account
        (strangers_key, zoom_stub.signed(body, secret=strangers_app.secret_token), 422, None),
        (key, zoom_stub.signed(body, secret=app.secret_token, at=time.time() - 600), 401, None),
    ]
    for where, headers, status, code in refusals:
        resp = await notify(api, body, headers, host=(org, "user-host"), key=where)
        assert resp.status_code == status, (where, resp.text)
        if code:
            assert resp.json()["error"]["code"] == code
    assert await imports(api, org) == [] and await imports(api, stranger) == []

    # The deployment's app does not speak for a Server-to-Server connection either.
    taken = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
    assert taken.status_code == 204, taken.text
    assert await imports(api, org) == []

    resp = await notify(
        api, body, zoom_stub.signed(body, secret=app.secret_token), host=(org, "user-host"), key=key
    )
    assert resp.status_code == 204, resp.text
    assert await ctx.zoom_importer.run_once() == 1
    [item] = await imports(api, org)
    assert item["status"] == "imported" and item["call_id"], item
    assert await imports(api, stranger) == []

    # Disconnected: its URL is unknown from then on.
    assert (await api.call("DELETE", "/internal/zoom/connection", org)).status_code == 204
    again = zoom_stub.signed(body, secret=app.secret_token, at=time.time() + 1)
    assert (await notify(api, body, again, key=key)).status_code == 404


async def test_new_credentials_for_the_same_account_keep_the_url_and_sign_with_the_new_token(
    api: Api, zoom_stub: ZoomStub
) -> None:
    """A leaked client secret or a mistyped secret token is replaced while connected:
    the app's URL stays (nothing to paste again on Zoom), the old token no longer signs."""
    org = new_org()
    app = zoom_stub.add_s2s_app()
    key = await connect_s2s(api, org, app)
    old_token = app.secret_token
    app.client_secret, app.secret_token = uuid.uuid4().hex, uuid.uuid4().hex  # rotated on Zoom
    assert await connect_s2s(api, org, app) == key

    plain = uuid.uuid4().hex
    check = zoom_stub.url_validation(plain)
    stale = await notify(api, check, zoom_stub.signed(check, secret=old_token), key=key)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "zoom_signature_invalid"
    answer = await notify(api, check, zoom_stub.signed(check, secret=app.secret_token), key=key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["encryptedToken"] == hmac_hex(app.secret_token, plain)


async def test_server_to_server_renewal_uses_the_connections_own_credentials(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org = new_org()
    app = zoom_stub.add_s2s_app()
    zoom_stub.expires_in = 60  # under the 5 minute margin: the next use renews first
    try:
        await connect_s2s(api, org, app)
    finally:
        zoom_stub.expires_in = 3600
    first, _ = await tokens_of(ctx, org)

    grants = len(zoom_stub.grants)
    token = await ctx.zoom_importer.tokens.access_token(org)
    assert token != first and zoom_stub.grants[grants:] == ["account_credentials"]
    assert (await ctx.zoom.client.me(token))["account_id"] == app.account_id
    status = (await api.call("GET", "/internal/zoom", org)).json()
    assert status["needs_reauthorization"] is False and status["last_failure"] is None


async def test_a_download_link_off_zoom_is_never_followed(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    """A Server-to-Server app's admin holds its secret token, so they can sign any
    notification for their own account: its download link must not make this service
    fetch an address of its choosing (here the same local Zoom, named otherwise)."""
    org = new_org()
    app = zoom_stub.add_s2s_app()
    key = await connect_s2s(api, org, app)
    host = add_host(zoom_stub, app.account_id)
    meeting = zoom_stub.add_meeting(host, b"audio", topic="Forged link", guests=[])
    body = json.loads(zoom_stub.recording_completed(meeting))
    for item in body["payload"]["object"]["recording_files"]:
        item["download_url"] = item["download_url"].replace("127.0.0.1", "localhost")
    forged = json.dumps(body).encode()
    await settle(ctx)
    _, _, downloads = zoom_stub.requests_so_far()

    signed = zoom_stub.signed(forged, secret=app.secret_token)
    resp = await notify(api, forged, signed, host=(org, "user-host"), key=key)
    assert resp.status_code == 204, resp.text
    await settle(ctx)
    [item] = await imports(api, org)
    assert item["status"] == "failed" and "not on Zoom" in item["error"]
    assert zoom_stub.downloads[downloads:] == []


async def test_two_importers_finding_the_token_stale_renew_it_once(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    org = new_org()
    zoom_stub.expires_in = 60  # under the 5 minute margin: stale at once
    try:
        await connect(api, zoom_stub, org)
    finally:
        zoom_stub.expires_in = 3600
    tokens = ctx.zoom_importer.tokens

    # Two importers find it stale at once: one renewal (a refresh token works once),
    # and both use its token.
    grants = len(zoom_stub.grants)
    first, second = await asyncio.gather(tokens.access_token(org), tokens.access_token(org))
    assert first == second and zoom_stub.grants[grants:] == ["refresh_token"]

    # Fresh now: taken as it is, nothing asked of Zoom.
    assert await tokens.access_token(org) == first
    assert zoom_stub.grants[grants:] == ["refresh_token"]


async def test_a_crash_after_zoom_rotated_the_refresh_token_asks_for_reauthorization(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext
) -> None:
    """kill -9 between Zoom's answer to a refresh and our commit: Zoom has rotated the
    refresh token (the old one works no more) and the new one died with the process.
    Nothing can renew the connection then; the next use marks it as needing an admin to
    connect again (the imports wait for that, as for a revoked app), and no half-written
    token is left behind: the row still holds the old pair, sealed."""
    org = new_org()
    zoom_stub.expires_in = 60  # stale at once: the next use renews
    try:
        await connect(api, zoom_stub, org)
    finally:
        zoom_stub.expires_in = 3600
    _, refresh = await tokens_of(ctx, org)
    assert refresh is not None
    # What the dead worker did: Zoom rotated the pair; its answer was never committed.
    await ctx.zoom.client.refresh(refresh)

    with pytest.raises(ZoomAuthorizationRevoked, match="connect Zoom again"):
        await ctx.zoom_importer.tokens.access_token(org)
    assert zoom_stub.grants[-2:] == ["refresh_token", "refresh_token"]
    status = (await api.call("GET", "/internal/zoom", org)).json()
    assert status["connected"] is True and status["needs_reauthorization"] is True
    assert "connect Zoom again" in status["last_failure"]
    assert (await tokens_of(ctx, org))[1] == refresh  # the old pair, as it was

    # An admin connecting again is the way out.
    account = status["account_id"]
    await connect(api, zoom_stub, org, account)
    assert (await api.call("GET", "/internal/zoom", org)).json()["needs_reauthorization"] is False


@pytest.mark.parametrize(("host", "followed"), [("127.0.0.1", True), ("localhost", False)])
async def test_a_download_redirected_off_zoom_is_not_followed(
    api: Api, zoom_stub: ZoomStub, ctx: IntegrationsContext, host: str, followed: bool
) -> None:
    """Zoom's own link may redirect within Zoom's hosts; a redirect anywhere else (here
    the same local Zoom named otherwise, not on the allow-list) is not followed: no
    request with the organization's token reaches it, and the import says why."""
    org, zoom_host = await connected_host(api, zoom_stub)
    meeting = zoom_stub.add_meeting(zoom_host, b"audio", topic="Redirected", guests=[])
    await settle(ctx)
    _, _, downloads = zoom_stub.requests_so_far()
    body = zoom_stub.recording_completed(meeting)
    resp = await notify(api, body, zoom_stub.signed(body), host=(org, "user-host"))
    assert resp.status_code == 204, resp.text
    zoom_stub.redirect_downloads = f"http://{host}:{zoom_stub.port}"
    try:
        await settle(ctx)
    finally:
        zoom_stub.redirect_downloads = None
    [item] = await imports(api, org)
    if followed:
        assert item["status"] == "imported", item
        assert len(zoom_stub.downloads[downloads:]) == 2
    else:
        assert item["status"] == "failed", item
        assert "redirected off Zoom" in item["error"], item
        assert len(zoom_stub.downloads[downloads:]) == 1, "the redirect was not followed"
