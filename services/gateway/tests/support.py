"""Test helpers: settings for a gateway under test, and people signed in to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from clashtor_common.crypto import Keyring
from gateway.adapters.mailer import LoggingMailer
from gateway.settings import GatewaySettings

IDENTITY_SECRET = "gateway-tests-identity-secret-0123456789"
MASTER_KEYS = f"test1:{Keyring.generate_key()}"
PASSWORD = "correct horse battery staple"


def make_settings(database_url: str, fake_url: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "identity_secret": IDENTITY_SECRET,
        "master_keys": MASTER_KEYS,
        "ingest_url": fake_url,
        "transcribe_url": fake_url,
        "score_url": fake_url,
        "billing_url": fake_url,
        "privacy_url": fake_url,
        "integrations_url": fake_url,
        "insecure_cookies": True,
        "password_time_cost": 1,
        "password_memory_kib": 1024,
        "password_parallelism": 1,
        "downstream_timeout_seconds": 5.0,
        "log_json": False,
        # Every test signs up from one address; the limits have their own tests.
        "rate_limits": {"signup": {"addr": 10_000}, "confirm": {"addr": 10_000}},
    }
    values.update(overrides)
    return GatewaySettings(**values)


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class Member:
    """A signed-in person: their ids and an HTTP client carrying their session."""

    user_id: str
    org_id: str
    email: str
    role: str
    client: httpx.AsyncClient
    csrf_token: str
    password: str = PASSWORD

    @property
    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf_token}


@dataclass
class Api:
    """Makes clients of one gateway app and people in it."""

    app: FastAPI
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def mailer(self) -> LoggingMailer:
        mailer: LoggingMailer = self.app.state.gateway.mailer
        return mailer

    def client(self, address: str = "127.0.0.1", **headers: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        client = httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers, timeout=30
        )
        self.clients.append(client)
        return client

    async def signup(self, role_label: str = "owner", organization: str = "Acme") -> Member:
        client = self.client()
        email = unique_email(role_label)
        resp = await client.post(
            "/v1/auth/signup",
            json={
                "name": "Olive Owner",
                "email": email,
                "password": PASSWORD,
                "organization": organization,
            },
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        member = Member(
            user_id=body["user"]["id"],
            org_id=body["user"]["organization"]["id"],
            email=email,
            role="owner",
            client=client,
            csrf_token=body["csrf_token"],
        )
        client.headers["X-CSRF-Token"] = member.csrf_token
        return member

    async def team(self, *roles: str) -> tuple[Member, ...]:
        """An owner who signed up and, invited by them, one member per role:
        ``owner, rep, admin = await api.team("rep", "admin")``."""
        owner = await self.signup()
        return (owner, *[await self.invite(owner, role) for role in roles])

    async def invite(self, by: Member, role: str, name: str = "Ray Rep") -> Member:
        """Invite someone with ``role`` and have them accept: a signed-in member."""
        email = unique_email(role)
        resp = await by.client.post("/v1/invitations", json={"email": email, "role": role})
        assert resp.status_code == 201, resp.text
        token = resp.json()["token"]
        client = self.client()
        accepted = await client.post(
            f"/v1/invitations/{token}/accept", json={"name": name, "password": PASSWORD}
        )
        assert accepted.status_code == 201, accepted.text
        body = accepted.json()
        client.headers["X-CSRF-Token"] = body["csrf_token"]
        return Member(
            user_id=body["user"]["id"],
            org_id=body["user"]["organization"]["id"],
            email=email,
            role=role,
            client=client,
            csrf_token=body["csrf_token"],
        )

    async def api_key(self, member: Member, role: str | None = None) -> str:
        body: dict[str, Any] = {"name": "ci"}
        if role:
            body["role"] = role
        resp = await member.client.post("/v1/api-keys", json=body)
        assert resp.status_code == 201, resp.text
        key: str = resp.json()["key"]
        return key

    def bearer(self, key: str) -> httpx.AsyncClient:
        return self.client(authorization=f"Bearer {key}")

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
