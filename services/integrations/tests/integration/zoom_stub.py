"""A local server speaking the parts of Zoom the import uses, and signing its webhooks.

- OAuth (``zoom.us``): ``GET /oauth/authorize`` consents at once and redirects to the
  ``redirect_uri`` with a code; ``POST /oauth/token`` (client id and secret as Basic
  auth) grants ``authorization_code``, ``refresh_token`` (a refresh token works once,
  as Zoom's) with the OAuth app's credentials, and ``account_credentials``
  (Server-to-Server OAuth) only with the credentials of an S2S app made inside that
  very account (``add_s2s_app``): the OAuth app's, or another account's app, are refused.
- REST (``api.zoom.us/v2``): ``GET /v2/users/me``, ``GET
  /v2/past_meetings/{uuid}/participants``; a missing, unknown or expired Bearer token
  is a 401 (Zoom's error shape ``{"code", "message"}``); ``revoke`` kills tokens before
  their time and ``uninstall`` all of a user's (``invalid_grant`` from then on).
- Recordings: ``GET /rec/download/{file_id}`` with a valid Bearer token or the
  webhook's ``download_token`` as ``access_token``; ``fail_downloads`` answers the
  next downloads with the statuses listed.
- Webhooks: ``signed(body)`` gives Zoom's headers (``x-zm-request-timestamp``,
  ``x-zm-signature: v0=<hex HMAC-SHA256 of "v0:{ts}:{body}">``) under the secret token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from clashtor_common.embedded import free_port


def _basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


@dataclass
class Meeting:
    uuid: str
    host_id: str
    host_email: str
    topic: str
    participants: list[dict[str, Any]]
    files: dict[str, bytes]
    """Recording file id → bytes, with the file type in ``file_types``."""
    file_types: dict[str, str]


@dataclass
class S2SApp:
    """A Server-to-Server OAuth app a Zoom account's admin made inside that account."""

    account_id: str
    client_id: str = field(default_factory=lambda: f"s2s-{uuid.uuid4().hex[:12]}")
    client_secret: str = field(default_factory=lambda: uuid.uuid4().hex)
    secret_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Its event subscription's Secret Token: signs its notifications."""

    def credentials(self) -> dict[str, str]:
        """What its admin gives Clashtor to connect."""
        return {
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "webhook_secret_token": self.secret_token,
        }


@dataclass
class ZoomStub:
    client_id: str = "zoom-client-id"
    client_secret: str = "zoom-client-secret"
    secret_token: str = "zoom-webhook-secret-token"
    account_id: str = field(default_factory=lambda: f"acct-{uuid.uuid4().hex[:10]}")
    expires_in: int = 3600
    """Lifetime of the access tokens issued next (seconds)."""
    port: int = field(default_factory=free_port)
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    """Zoom user id → {email, account_id}; the user who authorizes is the first one."""
    meetings: dict[str, Meeting] = field(default_factory=dict)
    grants: list[str] = field(default_factory=list)
    """Every token request's grant_type, in order (refused ones too)."""
    downloads: list[dict[str, str]] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)
    """Every REST request's path, in order (answered or refused)."""
    fail_downloads: list[int] = field(default_factory=list)
    hold_downloads: threading.Event | None = None
    """Set: a download sends the first half of the file, then waits for this event."""
    redirect_downloads: str | None = None
    """Set: an authorized download is redirected (302) to this base URL, same path."""
    s2s_apps: dict[str, S2SApp] = field(default_factory=dict)
    """Client id → the Server-to-Server app."""
    _codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    _access: dict[str, tuple[str, float]] = field(default_factory=dict)
    _refresh: dict[str, str] = field(default_factory=dict)
    _download_tokens: set[str] = field(default_factory=set)
    _revoked: set[str] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/v2"

    # scripting --------------------------------------------------------------------------

    def add_user(self, email: str, *, account_id: str | None = None) -> str:
        user_id = f"zu-{uuid.uuid4().hex[:10]}"
        self.users[user_id] = {"email": email, "account_id": account_id or self.account_id}
        return user_id

    def add_s2s_app(self, account_id: str | None = None) -> S2SApp:
        """A new Server-to-Server app inside ``account_id`` (a new account by default)."""
        app = S2SApp(account_id or f"acct-{uuid.uuid4().hex[:10]}")
        self.s2s_apps[app.client_id] = app
        return app

    def add_meeting(
        self,
        host_id: str,
        audio: bytes,
        *,
        topic: str,
        guests: list[tuple[str, str]],
        file_type: str = "M4A",
    ) -> Meeting:
        host_email = self.users[host_id]["email"]
        people = [{"id": host_id, "name": "Host", "user_email": host_email}]
        for name, email in guests:
            people.append({"id": "", "name": name, "user_email": email})
            people.append({"id": "", "name": name, "user_email": email})  # rejoined once
        file_id = uuid.uuid4().hex
        meeting = Meeting(
            uuid=base64.b64encode(uuid.uuid4().bytes).decode(),
            host_id=host_id,
            host_email=host_email,
            topic=topic,
            participants=people,
            files={file_id: audio},
            file_types={file_id: file_type},
        )
        self.meetings[meeting.uuid] = meeting
        return meeting

    def recording_completed(self, meeting: Meeting, *, with_download_token: bool = False) -> bytes:
        """The ``recording.completed`` notification Zoom sends for ``meeting``."""
        files = [
            {
                "id": file_id,
                "meeting_id": meeting.uuid,
                "file_type": meeting.file_types[file_id],
                "file_extension": meeting.file_types[file_id],
                "file_size": len(data),
                "recording_type": "audio_only"
                if meeting.file_types[file_id] == "M4A"
                else "shared_screen_with_speaker_view",
                "status": "completed",
                "download_url": f"{self.base_url}/rec/download/{file_id}",
            }
            for file_id, data in meeting.files.items()
        ]
        files.append(
            {
                "id": uuid.uuid4().hex,
                "file_type": "CHAT",
                "status": "completed",
                "download_url": f"{self.base_url}/rec/download/chat",
            }
        )
        account_id = self.users[meeting.host_id]["account_id"]
        body: dict[str, Any] = {
            "event": "recording.completed",
            "event_ts": int(time.time() * 1000),
            "payload": {
                "account_id": account_id,
                "object": {
                    "uuid": meeting.uuid,
                    "id": 85000000000 + len(self.meetings),
                    "account_id": account_id,
                    "host_id": meeting.host_id,
                    "host_email": meeting.host_email,
                    "topic": meeting.topic,
                    "type": 2,
                    "duration": 1,
                    "recording_files": files,
                },
            },
        }
        if with_download_token:
            token = f"dl-{uuid.uuid4().hex}"
            self._download_tokens.add(token)
            body["download_token"] = token
        return json.dumps(body).encode()

    def app_deauthorized(self, user_id: str) -> bytes:
        """The notification Zoom sends when ``user_id`` removes the app (its tokens die)."""
        self.uninstall(user_id)
        account_id = self.users[user_id]["account_id"]
        return json.dumps(
            {
                "event": "app_deauthorized",
                "event_ts": int(time.time() * 1000),
                "payload": {
                    "account_id": account_id,
                    "user_id": user_id,
                    "signature": uuid.uuid4().hex,
                    "deauthorization_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "client_id": self.client_id,
                },
            }
        ).encode()

    def url_validation(self, plain_token: str) -> bytes:
        return json.dumps(
            {
                "event": "endpoint.url_validation",
                "event_ts": int(time.time() * 1000),
                "payload": {"plainToken": plain_token},
            }
        ).encode()

    def signed(
        self, body: bytes, *, at: float | None = None, secret: str | None = None
    ) -> dict[str, str]:
        timestamp = str(int(at if at is not None else time.time()))
        digest = hmac.new(
            (secret or self.secret_token).encode(),
            b"v0:" + timestamp.encode() + b":" + body,
            hashlib.sha256,
        ).hexdigest()
        return {
            "content-type": "application/json",
            "x-zm-request-timestamp": timestamp,
            "x-zm-signature": f"v0={digest}",
        }

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access = {t: (u, 0.0) for t, (u, _) in self._access.items()}

    def requests_so_far(self) -> tuple[int, int, int]:
        """How many token requests, REST requests and downloads were made until now."""
        with self._lock:
            return len(self.grants), len(self.api_calls), len(self.downloads)

    def expire_download_tokens(self) -> None:
        """The webhooks' download tokens are past their 24 hours: refused from now on."""
        with self._lock:
            self._download_tokens.clear()

    def revoke(self, *tokens: str | None) -> None:
        """Revoke access or refresh tokens before their time: an access token answers
        401 from now on, a refresh token is refused with ``invalid_grant``."""
        with self._lock:
            for token in filter(None, tokens):
                self._access.pop(token, None)
                if self._refresh.pop(token, None) is not None:
                    self._revoked.add(token)

    def uninstall(self, user_id: str) -> None:
        """The user removed the app from their Zoom account: every token issued to them
        is revoked."""
        with self._lock:
            issued = [t for t, (u, _) in self._access.items() if u == user_id]
            issued += [t for t, u in self._refresh.items() if u == user_id]
        self.revoke(*issued)

    # serving ----------------------------------------------------------------------------

    def _issue(self, user_id: str, *, refresh: bool) -> dict[str, Any]:
        access = f"za-{uuid.uuid4().hex}"
        self._access[access] = (user_id, time.time() + self.expires_in)
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": "user:read cloud_recording:read meeting:read",
        }
        if refresh:
            token = f"zr-{uuid.uuid4().hex}"
            self._refresh[token] = user_id
            answer["refresh_token"] = token
        return answer

    def _token(self, form: dict[str, str], auth: str) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        with self._lock:
            self.grants.append(grant)
        if grant == "account_credentials":
            return self._account_token(form, auth)
        if auth != _basic(self.client_id, self.client_secret):
            return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        with self._lock:
            if grant == "authorization_code":
                code = self._codes.pop(form.get("code", ""), None)
                if code is None or code[1] != form.get("redirect_uri"):
                    return 400, {"reason": "Invalid authorization code", "error": "invalid_grant"}
                return 200, self._issue(code[0], refresh=True)
            if grant == "refresh_token":
                user_id = self._refresh.pop(form.get("refresh_token", ""), None)
                if form.get("refresh_token") in self._revoked:
                    return 400, {"reason": "Invalid Token!", "error": "invalid_grant"}
                if user_id is None:
                    return 400, {"reason": "Invalid Token!", "error": "invalid_request"}
                return 200, self._issue(user_id, refresh=True)
        return 400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}

    def _account_token(self, form: dict[str, str], auth: str) -> tuple[int, dict[str, Any]]:
        """Server-to-Server OAuth: only an S2S app's own credentials, for its own account."""
        app = next(
            (a for a in self.s2s_apps.values() if auth == _basic(a.client_id, a.client_secret)),
            None,
        )
        if app is None:
            return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        if form.get("account_id") != app.account_id:
            return 400, {"reason": "Invalid account_id", "error": "invalid_request"}
        with self._lock:
            user = next(
                (u for u, v in self.users.items() if v["account_id"] == app.account_id),
                f"s2s:{app.account_id}",
            )
            return 200, self._issue(user, refresh=False)

    def _bearer_user(self, header: str | None) -> str | None:
        token = (header or "").removeprefix("Bearer ")
        with self._lock:
            found = self._access.get(token)
        if found is None or found[1] < time.time():
            return None
        return found[0]

    def start(self) -> ZoomStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _send(
                self, status: int, body: Any = None, headers: dict[str, str] | None = None
            ) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
                self.send_response(status)
                for name, value in (headers or {"content-type": "application/json"}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if urlsplit(self.path).path != "/oauth/token":
                    self._send(404, {"code": 404, "message": "not found"})
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, answer = stub._token(form, self.headers.get("authorization") or "")
                self._send(status, answer)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                path = parts.path
                if path == "/oauth/authorize":
                    self._authorize(query)
                elif path.startswith("/rec/download/"):
                    self._download(path.removeprefix("/rec/download/"), query)
                elif path.startswith("/v2/"):
                    self._api(path.removeprefix("/v2"), query)
                else:
                    self._send(404, {"code": 404, "message": "not found"})

            def _authorize(self, query: dict[str, str]) -> None:
                if query.get("client_id") != stub.client_id or query.get("response_type") != "code":
                    self._send(400, {"reason": "Invalid client_id"})
                    return
                code = f"zc-{uuid.uuid4().hex}"
                user_id = list(stub.users)[-1]  # the user added last consents
                with stub._lock:
                    stub._codes[code] = (user_id, query.get("redirect_uri", ""))
                target = (
                    query["redirect_uri"]
                    + "?"
                    + urlencode({"code": code, "state": query.get("state", "")})
                )
                self._send(302, b"", {"location": target})

            def _api(self, path: str, query: dict[str, str]) -> None:
                with stub._lock:
                    stub.api_calls.append(path)
                user_id = stub._bearer_user(self.headers.get("authorization"))
                if user_id is None:
                    self._send(401, {"code": 124, "message": "Invalid access token."})
                    return
                if path == "/users/me":
                    account = user_id.removeprefix("s2s:") if "s2s:" in user_id else stub.account_id
                    user = stub.users.get(user_id, {"email": "", "account_id": account})
                    self._send(200, {"id": user_id, **user})
                    return
                if path.startswith("/past_meetings/") and path.endswith("/participants"):
                    raw_id = path.removeprefix("/past_meetings/").removesuffix("/participants")
                    meeting_uuid = unquote(unquote(raw_id))
                    meeting = stub.meetings.get(meeting_uuid)
                    if meeting is None:
                        self._send(404, {"code": 3001, "message": "Meeting does not exist."})
                        return
                    people = meeting.participants
                    self._send(
                        200,
                        {
                            "page_size": 300,
                            "total_records": len(people),
                            "next_page_token": "",
                            "participants": people,
                        },
                    )
                    return
                self._send(404, {"code": 404, "message": "not found"})

            def _download(self, file_id: str, query: dict[str, str]) -> None:
                bearer = stub._bearer_user(self.headers.get("authorization"))
                token = query.get("access_token")
                allowed = bearer is not None or (
                    token is not None and token in stub._download_tokens
                )
                with stub._lock:
                    stub.downloads.append(
                        {"file_id": file_id, "by": "bearer" if bearer else "token"}
                    )
                    failing = stub.fail_downloads.pop(0) if stub.fail_downloads else None
                if not allowed:
                    self._send(401, {"code": 124, "message": "Invalid access token."})
                    return
                if failing is not None:
                    self._send(failing, {"code": failing, "message": "try again"})
                    return
                elsewhere = stub.redirect_downloads
                if elsewhere is not None:
                    stub.redirect_downloads = None  # once: the redirected request is served
                    self._send(302, b"", {"location": f"{elsewhere}/rec/download/{file_id}"})
                    return
                data = next(
                    (m.files[file_id] for m in stub.meetings.values() if file_id in m.files), None
                )
                if data is None:
                    self._send(404, {"code": 3301, "message": "This recording does not exist."})
                    return
                hold = stub.hold_downloads
                if hold is None:
                    self._send(200, data, {"content-type": "application/octet-stream"})
                    return
                self.send_response(200)
                self.send_header("content-type", "application/octet-stream")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                hold.wait(timeout=300)
                self.wfile.write(data[len(data) // 2 :])

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
