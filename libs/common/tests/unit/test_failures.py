"""The classifier: which failures are the world's (retry) and which the event's (DLQ)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from aiokafka import errors as kafka_errors
from asyncpg import exceptions as pg_errors
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc

from clashtor_common.events import InvalidEvent
from clashtor_common.failures import PermanentError, TransientError, is_transient


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )


def _validation_error() -> ValidationError:
    class M(BaseModel):
        x: int

    try:
        M.model_validate({"x": "nope"})
    except ValidationError as exc:
        return exc
    raise AssertionError


def _as_sqlalchemy_raises(exc: Exception) -> sa_exc.DBAPIError:
    """``exc`` as SQLAlchemy's asyncpg dialect hands it on: a DBAPIError whose cause
    chain leads to the asyncpg exception."""
    try:
        try:
            raise exc
        except Exception as inner:
            raise sa_exc.DBAPIError("UPDATE ...", {}, inner) from inner
    except sa_exc.DBAPIError as outer:
        return outer


def _response(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "http://s3.local/x"))


TRANSIENT = {
    "own TransientError": TransientError("provider asked to try later"),
    "connection refused": ConnectionRefusedError(111, "Connection refused"),
    "timeout": TimeoutError(),
    "S3 endpoint down": EndpointConnectionError(endpoint_url="http://127.0.0.1:8333"),
    "S3 read timeout": ReadTimeoutError(endpoint_url="http://127.0.0.1:8333"),
    "S3 503": _client_error("ServiceUnavailable", 503),
    "S3 slow down": _client_error("SlowDown", 503),
    "S3 500": _client_error("InternalError", 500),
    "httpx transport": httpx.ConnectError("All connection attempts failed"),
    "httpx 503": httpx.HTTPStatusError(
        "503", request=_response(503).request, response=_response(503)
    ),
    "httpx 429": httpx.HTTPStatusError(
        "429", request=_response(429).request, response=_response(429)
    ),
    "kafka connection": kafka_errors.KafkaConnectionError("broker away"),
    "kafka timeout": kafka_errors.KafkaTimeoutError(),
    "kafka retriable": kafka_errors.NotLeaderForPartitionError(),
    "db operational": sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("locked")),
    "sqlite locked": sqlite3.OperationalError("database is locked"),
    # the transaction was rolled back for the order it ran in, not for what it did
    "postgres deadlock (40P01)": pg_errors.DeadlockDetectedError("deadlock detected"),
    "postgres serialization (40001)": pg_errors.SerializationError("could not serialize"),
    "postgres deadlock through SQLAlchemy": _as_sqlalchemy_raises(
        pg_errors.DeadlockDetectedError("deadlock detected")
    ),
}

POISON = {
    "PermanentError": PermanentError("not audio"),
    "invalid event": InvalidEvent("not an envelope"),
    "validation": _validation_error(),
    "S3 no such key": _client_error("NoSuchKey", 404),
    "S3 access denied": _client_error("AccessDenied", 403),
    "httpx 400": httpx.HTTPStatusError(
        "400", request=_response(400).request, response=_response(400)
    ),
    "integrity": sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")),
    "bug": KeyError("speaker"),
    "missing file": FileNotFoundError(2, "No such file"),
}


@pytest.mark.parametrize("exc", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_failures_of_the_world_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", POISON.values(), ids=POISON.keys())
def test_failures_of_the_event_or_the_code_are_not(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_the_cause_chain_is_followed_so_adapters_need_not_wrap_errors() -> None:
    try:
        try:
            raise httpx.ReadTimeout("S3 did not answer")
        except httpx.ReadTimeout as inner:
            raise RuntimeError("could not fetch the recording") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_a_permanent_error_wins_over_a_transient_cause() -> None:
    try:
        try:
            raise ConnectionResetError
        except ConnectionResetError as inner:
            raise PermanentError("gave up: the object was deleted") from inner
    except PermanentError as outer:
        assert not is_transient(outer)
