"""People attacking and defending through the public API: browser sessions from chosen
client addresses (any 127.0.0.0/8 source reaches the gateway on 127.0.0.1)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from ..e2e.client import PASSWORD


def unique_email(who: str, domain: str = "seller.example") -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@{domain}"


class Browser:
    """A signed-in (or not yet) browser: session cookie plus the CSRF header."""

    def __init__(self, base_url: str, address: str = "127.0.0.1") -> None:
        transport = httpx.HTTPTransport(local_address=address)
        self.http = httpx.Client(base_url=base_url, timeout=60, transport=transport)
        self.csrf = ""
        self.user: dict[str, Any] = {}
        self.email = ""

    def close(self) -> None:
        self.http.close()

    @property
    def id(self) -> str:
        return str(self.user["id"])

    def _signed_in(self, resp: httpx.Response, expected: int) -> Browser:
        assert resp.status_code == expected, resp.text
        body = resp.json()
        self.csrf, self.user = body["csrf_token"], body["user"]
        self.email = self.user["email"]
        return self

    def signup(self) -> Browser:
        resp = self.http.post(
            "/v1/auth/signup",
            json={
                "name": "Olive Owner",
                "email": unique_email("owner"),
                "password": PASSWORD,
                "organization": f"Org {uuid.uuid4().hex[:6]}",
            },
        )
        return self._signed_in(resp, 201)

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        resp = self.http.post("/v1/auth/login", json={"email": email, "password": password})
        if resp.status_code == 200:
            self._signed_in(resp, 200)
        return resp

    def accept(self, token: str, name: str = "Mia Member") -> Browser:
        resp = self.http.post(
            f"/v1/invitations/{token}/accept", json={"name": name, "password": PASSWORD}
        )
        return self._signed_in(resp, 201)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def invite(self, role: str, email: str | None = None) -> httpx.Response:
        return self.send(
            "POST", "/v1/invitations", json={"email": email or unique_email(role), "role": role}
        )

    def member(self, role: str) -> Browser:
        """A new member of this browser's organization with ``role``, signed in."""
        resp = self.invite(role)
        assert resp.status_code == 201, resp.text
        return Browser(str(self.http.base_url)).accept(resp.json()["token"])

    def api_key(self, role: str | None = None) -> str:
        body: dict[str, Any] = {"name": "sec"} | ({"role": role} if role else {})
        resp = self.send("POST", "/v1/api-keys", json=body)
        assert resp.status_code == 201, resp.text
        return str(resp.json()["key"])

    def upload(self, audio: Path, participants: list[dict[str, str]]) -> str:
        with audio.open("rb") as fh:
            resp = self.send(
                "POST",
                "/v1/calls",
                files={"file": (audio.name, fh)},
                data={"title": "discovery", "participants": json.dumps(participants)},
            )
        assert resp.status_code in (200, 202), resp.text
        return str(resp.json()["id"])

    def privacy(self, kind: str, subject: dict[str, str], **extra: Any) -> httpx.Response:
        return self.send("POST", f"/v1/privacy/{kind}", json={"subject": subject, **extra})
