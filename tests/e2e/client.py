"""A small client of the public /v1 API, as a web client or developer would use it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "correct horse battery staple 42"
"""Every account the tests make has this password."""
POLL_SECONDS = 0.25
"""Between two reads of a state the test waits for: a call's hop through the pipeline
takes well under a second on an idle stack, and a 1 s step added half a second per wait."""


class Clashtor:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.key: str | None = None

    def close(self) -> None:
        self.http.close()

    @property
    def bearer(self) -> dict[str, str]:
        assert self.key, "sign up first"
        return {"Authorization": f"Bearer {self.key}"}

    def signup(self, organization: str | None = None) -> dict[str, Any]:
        """Sign up (session cookie + CSRF), then make an API key for everything else."""
        email = f"owner-{uuid.uuid4().hex[:8]}@seller.example"
        resp = self.http.post(
            "/v1/auth/signup",
            json={
                "name": "Olive Owner",
                "email": email,
                "password": PASSWORD,
                "organization": organization or f"Org {uuid.uuid4().hex[:6]}",
            },
        )
        return self._signed_in(resp)

    def invite(self, role: str) -> tuple[str, str]:
        """Invite a new member with ``role`` (as an owner or admin): the token and email."""
        email = f"{role}-{uuid.uuid4().hex[:8]}@seller.example"
        invited = self.http.post(
            "/v1/invitations", headers=self.bearer, json={"email": email, "role": role}
        )
        assert invited.status_code == 201, invited.text
        return str(invited.json()["token"]), email

    def accept(self, token: str, name: str) -> dict[str, Any]:
        """Join through an invitation, then make an API key, as ``signup`` does."""
        resp = self.http.post(
            f"/v1/invitations/{token}/accept", json={"name": name, "password": PASSWORD}
        )
        return self._signed_in(resp)

    def _signed_in(self, session: httpx.Response) -> dict[str, Any]:
        assert session.status_code == 201, session.text
        body: dict[str, Any] = session.json()
        key = self.http.post(
            "/v1/api-keys", json={"name": "e2e"}, headers={"X-CSRF-Token": body["csrf_token"]}
        )
        assert key.status_code == 201, key.text
        self.key = key.json()["key"]
        return body

    def upload(
        self, path: Path, *, title: str, participants: list[dict[str, str]]
    ) -> dict[str, Any]:
        with path.open("rb") as fh:
            resp = self.http.post(
                "/v1/calls",
                headers=self.bearer,
                files={"file": (path.name, fh)},
                data={"title": title, "participants": json.dumps(participants)},
            )
        assert resp.status_code in (200, 202), resp.text
        return resp.json()

    def call(self, call_id: str) -> httpx.Response:
        return self.http.get(f"/v1/calls/{call_id}", headers=self.bearer)

    def wait_for_status(self, call_id: str, status: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            resp = self.call(call_id)
            assert resp.status_code == 200, resp.text
            last = resp.json()
            if last["status"] == status:
                return last
            assert last["status"] != "failed", last
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"call {call_id} not {status} in {timeout}s: {last.get('status')}")

    def privacy(self, kind: str, subject: dict[str, str]) -> str:
        resp = self.http.post(f"/v1/privacy/{kind}", headers=self.bearer, json={"subject": subject})
        assert resp.status_code == 202, resp.text
        return str(resp.json()["id"])

    def request(self, request_id: str) -> dict[str, Any]:
        resp = self.http.get(f"/v1/privacy/requests/{request_id}", headers=self.bearer)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def wait_for_request(self, request_id: str, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            req = self.request(request_id)
            if req["status"] in ("completed", "failed"):
                return req
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"request {request_id} still {req['status']}: {req}")
