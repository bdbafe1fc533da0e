"""An exception no handler takes is answered inside the middlewares: the 500 (or the
transient 503) carries what they add, here ``X-Request-ID``; one raised after the
response started aborts the response, never a second start."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from clashtor_common.errors import install_error_handlers
from clashtor_common.request_id import RequestIdMiddleware


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret detail")

    @app.get("/locked")
    async def locked() -> None:
        raise OperationalError("INSERT ...", None, Exception("database is locked"))

    @app.get("/late")
    async def late() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            raise RuntimeError("after the start")

        return StreamingResponse(chunks())

    app.add_middleware(RequestIdMiddleware)  # outside, as in every service
    return app


def test_a_bug_is_a_json_500_with_the_request_id() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    resp = client.get("/bug", headers={"x-request-id": "req-bug-1"})
    assert resp.status_code == 500
    assert resp.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert resp.headers["x-request-id"] == "req-bug-1"


def test_a_transient_failure_is_a_503_with_the_request_id() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    resp = client.get("/locked", headers={"x-request-id": "req-locked-1"})
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "service_unavailable"
    assert int(resp.headers["retry-after"]) > 0
    assert resp.headers["x-request-id"] == "req-locked-1"


def test_an_error_after_the_start_goes_on_up_without_a_second_start() -> None:
    client = TestClient(_app())
    with pytest.raises(RuntimeError, match="after the start"):
        client.get("/late")
