"""A request that meets a database at its limit answers 503 + Retry-After, not 500."""

from __future__ import annotations

import sqlite3

import pytest
from asyncpg.exceptions import TooManyConnectionsError
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, OperationalError

from clashtor_common.errors import install_error_handlers


def _wrapped_too_many_clients() -> DBAPIError:
    """What SQLAlchemy raises when PostgreSQL has no connection slot left."""
    try:
        try:
            raise TooManyConnectionsError("sorry, too many clients already")
        except TooManyConnectionsError as cause:
            raise DBAPIError("connect", None, cause) from cause
    except DBAPIError as wrapped:
        return wrapped


def _wrapped_locked_sqlite() -> OperationalError:
    cause = sqlite3.OperationalError("database is locked")
    error = OperationalError("INSERT INTO calls ...", None, cause)
    error.__cause__ = cause
    return error


def _client(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/x")
    async def raise_it() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("error", [_wrapped_too_many_clients(), _wrapped_locked_sqlite()])
def test_a_database_at_its_limit_is_503_with_retry_after(error: Exception) -> None:
    resp = _client(error).get("/x")
    assert resp.status_code == 503, resp.text
    assert int(resp.headers["retry-after"]) > 0
    assert resp.json()["error"]["code"] == "service_unavailable"


def test_a_bug_is_still_a_500_that_says_nothing_more() -> None:
    resp = _client(KeyError("secret detail")).get("/x")
    assert resp.status_code == 500
    assert resp.json() == {"error": {"code": "internal", "message": "internal error"}}
