"""422 answers name each invalid field: code and message as always, plus ``errors``."""

from __future__ import annotations

from typing import Any


async def test_each_invalid_body_field_is_listed_with_where_and_why(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/api-keys", json={"name": "", "role": "emperor"})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    by_field = {e["field"]: e for e in error["errors"]}
    assert set(by_field) >= {"name", "role"}
    assert all(e["location"] == "body" and e["message"] and e["type"] for e in error["errors"])


async def test_query_fields_say_they_are_in_the_query(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.get("/v1/calls", params={"limit": 0, "sort": "random"})
    assert resp.status_code == 422
    errors = resp.json()["error"]["errors"]
    assert {(e["location"], e["field"]) for e in errors} == {("query", "limit"), ("query", "sort")}


async def test_a_password_is_never_echoed(api: Any) -> None:
    resp = await api.client().post(
        "/v1/auth/signup",
        json={
            "name": "A",
            "email": "not-an-email",
            "password": "hunter2-secret",
            "organization": 5,
        },
    )
    assert resp.status_code == 422
    assert "hunter2-secret" not in resp.text
