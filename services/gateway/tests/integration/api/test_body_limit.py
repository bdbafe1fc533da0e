"""A request body is bounded before any route reads it (issue #16 audit, review): a
chunked body with no Content-Length to a route anyone may call was read to its end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

CHUNK = 256 * 1024
CHUNKS = 64  # 16 MiB, far past the 1 MiB limit


@pytest.mark.parametrize("path", ["/v1/auth/login", "/v1/auth/signup"])
async def test_a_chunked_body_past_the_limit_is_refused_before_it_is_all_read(
    api: Any, path: str
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(CHUNKS):
            sent += 1
            yield b" " * CHUNK

    resp = await api.client().post(
        path, content=chunks(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert sent < CHUNKS, "the whole 16 MiB body was read before it was refused"


async def test_a_declared_length_past_the_limit_is_refused_up_front(api: Any) -> None:
    resp = await api.client().post(
        "/v1/auth/login",
        content=b" " * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.headers["x-content-type-options"] == "nosniff", "answered inside the headers"


async def test_a_body_under_the_limit_reaches_the_route_whole(api: Any) -> None:
    padding = " " * (900 * 1024)  # JSON allows white space: still one small object

    async def chunks() -> AsyncIterator[bytes]:
        body = ('{"email": "nobody@example.com",' + padding + '"password": "wrong-pass"}').encode()
        for start in range(0, len(body), 7000):
            yield body[start : start + 7000]

    resp = await api.client().post(
        "/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 401, resp.text
