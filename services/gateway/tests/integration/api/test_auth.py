"""/v1/auth: signup, login, logout, CSRF, throttling, cookie attributes."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery staple"


def _signup_body(email: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Ada Lovelace",
        "email": email,
        "password": PASSWORD,
        "organization": "Analytical Engines",
        **extra,
    }


async def test_signup_creates_owner_and_organization_and_signs_in(api: Any) -> None:
    client = api.client()
    resp = await client.post("/v1/auth/signup", json=_signup_body("Ada@Example.com"))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["user"]["role"] == "owner"
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["organization"]["name"] == "Analytical Engines"
    assert body["csrf_token"]
    cookie = resp.headers["set-cookie"]
    assert "clashtor_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    me = await client.get("/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


async def test_only_one_cookie_is_set_and_csrf_token_is_in_the_body(api: Any) -> None:
    client = api.client()
    resp = await client.post("/v1/auth/signup", json=_signup_body(_email("single")))
    assert len(resp.headers.get_list("set-cookie")) == 1
    assert resp.json()["csrf_token"] not in resp.headers["set-cookie"]


async def test_signup_with_a_taken_email_is_409(api: Any) -> None:
    email = _email("dup")
    first = await api.client().post("/v1/auth/signup", json=_signup_body(email))
    assert first.status_code == 201
    again = await api.client().post("/v1/auth/signup", json=_signup_body(email.upper()))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"


async def test_signup_rejects_weak_password_and_bad_email_with_422(api: Any) -> None:
    weak = await api.client().post(
        "/v1/auth/signup", json=_signup_body(_email("weak"), password="short")
    )
    assert weak.status_code == 422
    assert "password" in weak.json()["error"]["message"]
    bad = await api.client().post("/v1/auth/signup", json=_signup_body("not-an-email"))
    assert bad.status_code == 422
    assert "email" in bad.json()["error"]["message"]
    blank = await api.client().post(
        "/v1/auth/signup", json=_signup_body(_email("blank"), name="   ")
    )
    assert blank.status_code == 422


async def test_login_logout_and_the_session_is_revoked_server_side(api: Any) -> None:
    email = _email("login")
    await api.client().post("/v1/auth/signup", json=_signup_body(email))
    client = api.client()
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = client.cookies.get("clashtor_session")
    csrf = login.json()["csrf_token"]
    assert (await client.get("/v1/me")).status_code == 200

    out = await client.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    # Replaying the old cookie after logout does not work: the server forgot the session.
    replay = api.client()
    replay.cookies.set("clashtor_session", token)
    denied = await replay.get("/v1/me")
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "session_expired"


async def test_wrong_password_is_401_with_the_error_shape(api: Any) -> None:
    email = _email("wrong")
    await api.client().post("/v1/auth/signup", json=_signup_body(email))
    resp = await api.client().post(
        "/v1/auth/login", json={"email": email, "password": "not the password"}
    )
    assert resp.status_code == 401
    assert resp.json() == {
        "error": {"code": "invalid_credentials", "message": "email or password is wrong"}
    }


async def test_no_credentials_is_401(api: Any) -> None:
    resp = await api.client().get("/v1/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


async def test_state_change_with_cookie_but_without_csrf_token_is_403(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post(
        "/v1/api-keys", json={"name": "no csrf"}, headers={"X-CSRF-Token": ""}
    )
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "csrf_failed"
    wrong = await owner.client.post(
        "/v1/api-keys", json={"name": "wrong csrf"}, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    ok = await owner.client.post("/v1/api-keys", json={"name": "with csrf"})
    assert ok.status_code == 201


async def test_csrf_token_of_another_session_does_not_work(api: Any) -> None:
    alice = await api.signup()
    bob = await api.signup()
    resp = await alice.client.post(
        "/v1/api-keys", json={"name": "x"}, headers={"X-CSRF-Token": bob.csrf_token}
    )
    assert resp.status_code == 403


async def test_get_csrf_returns_the_sessions_token(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.get("/v1/auth/csrf")
    assert resp.status_code == 200
    assert resp.json()["csrf_token"] == owner.csrf_token


async def test_bearer_requests_need_no_csrf_token(api: Any) -> None:
    owner = await api.signup()
    key = await api.api_key(owner)
    bearer = api.bearer(key)
    resp = await bearer.post("/v1/api-keys", json={"name": "made with a key"})
    assert resp.status_code == 201, resp.text


async def test_logout_needs_csrf(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/auth/logout", headers={"X-CSRF-Token": "nope"})
    assert resp.status_code == 403
    assert (await owner.client.get("/v1/me")).status_code == 200


async def test_cookie_is_secure_unless_insecure_cookies_is_set(make_api: Any) -> None:
    api = await make_api(insecure_cookies=False)
    resp = await api.client().post("/v1/auth/signup", json=_signup_body(_email("secure")))
    assert resp.status_code == 201
    attributes = [p.strip().lower() for p in resp.headers["set-cookie"].split(";")]
    assert "secure" in attributes and "httponly" in attributes


def _email(label: str) -> str:
    import uuid

    return f"{label}-{uuid.uuid4().hex[:8]}@example.com"


async def test_nul_characters_are_refused_at_the_edge_not_by_the_database(api: Any) -> None:
    """PostgreSQL text cannot hold NUL; the gateway answers 422 instead of failing."""
    owner = await api.signup()
    login = await api.client().post(
        "/v1/auth/login", json={"email": "a\u0000@example.com", "password": "whatever1234"}
    )
    assert login.status_code == 422
    key = await owner.client.post("/v1/api-keys", json={"name": "ci\u0000"})
    assert key.status_code == 422
    member = await owner.client.delete("/v1/members/a%00b")
    assert member.status_code == 422
