"""Personal data at rest: the gateway database holds no plain name, email or organization
name (someone with a copy of the disk), while every lookup by email still works."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

PASSWORD = "correct horse battery staple"


def unique_email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


async def _raw_cells(database_url: str) -> list[tuple[str, str, Any]]:
    """Every cell of every gateway table, read without the gateway's keyring."""
    engine = create_async_engine(database_url)
    cells: list[tuple[str, str, Any]] = []
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            for table in (t for t in tables if t.startswith("gateway_")):
                result = await conn.execute(text(f"SELECT * FROM {table}"))
                for row in result.mappings():
                    cells.extend((table, column, value) for column, value in row.items())
    finally:
        await engine.dispose()
    return cells


def _shows(value: Any, plain: str) -> bool:
    if isinstance(value, bytes | bytearray | memoryview):
        return plain.lower().encode() in bytes(value).lower()
    return plain.lower() in str(value).lower()


async def _login(api: Any, email: str) -> int:
    resp = await api.client().post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return int(resp.status_code)


async def test_no_plain_personal_data_in_the_gateway_database(api: Any) -> None:
    owner = await api.signup(organization="Zanzibar Widgets Ltd")
    await owner.client.patch("/v1/me", json={"name": "Quentin Sealedname"})
    rep = await api.invite(owner, "rep", name="Rhiannon Hiddenname")
    pending = unique_email("pending")
    invited = await owner.client.post("/v1/invitations", json={"email": pending, "role": "rep"})
    assert invited.status_code == 201
    first_new, second_new = unique_email("moved"), unique_email("unconfirmed")
    changed = await owner.client.patch(
        "/v1/me", json={"email": first_new, "current_password": PASSWORD}
    )
    assert changed.status_code == 200
    [mail] = [m for m in api.mailer.outbox if m.to == first_new]
    token = str(mail.link).rsplit("/", 1)[1]
    confirmed = await api.client().post("/v1/auth/email/confirm", json={"token": token})
    assert confirmed.status_code == 204
    again = await owner.client.patch(
        "/v1/me", json={"email": second_new, "current_password": PASSWORD}
    )
    assert again.status_code == 200  # waits, unconfirmed, in the email-change table

    cells = await _raw_cells(api.app.state.settings.database_url)
    tables = {table for table, _, _ in cells}
    assert {"gateway_users", "gateway_invitations", "gateway_email_changes"} <= tables
    secrets = [
        owner.email, first_new, second_new, rep.email, pending,
        "Quentin Sealedname", "Rhiannon Hiddenname", "Zanzibar Widgets Ltd",
    ]  # fmt: skip
    leaks = [(t, c, s) for t, c, v in cells for s in secrets if v is not None and _shows(v, s)]
    assert leaks == []

    # lookups by email go through the keyed fingerprint and still find the rows
    assert await _login(api, first_new) == 200
    assert await _login(api, owner.email) == 401
    assert await _login(api, rep.email.upper()) == 200
    me = (await owner.client.get("/v1/me")).json()
    assert me["name"] == "Quentin Sealedname" and me["email"] == first_new
    assert me["organization"]["name"] == "Zanzibar Widgets Ltd"
    taken = await owner.client.post("/v1/invitations", json={"email": rep.email, "role": "rep"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    dup = await api.client().post(
        "/v1/auth/signup",
        json={"name": "X", "email": first_new, "password": PASSWORD, "organization": "Y"},
    )
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "email_taken"
    replaced = await owner.client.post("/v1/invitations", json={"email": pending, "role": "rep"})
    assert replaced.status_code == 201
    listed = (await owner.client.get("/v1/invitations")).json()["items"]
    assert [(i["id"], i["email"]) for i in listed] == [(replaced.json()["id"], pending)]
    members = (await owner.client.get("/v1/members")).json()["items"]
    names = {m["name"] for m in (members["items"] if isinstance(members, dict) else members)}
    assert {"Quentin Sealedname", "Rhiannon Hiddenname"} <= names
