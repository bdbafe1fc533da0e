"""Which failures pass on their own (retry) and which never will (dead-letter).

A consumer must never dead-letter an event because S3, the broker, a provider or the
database was briefly away: that event is fine, the world was not. ``is_transient``
says which exceptions are the world's fault; the bus retries those for as long as it
takes. ``PermanentError`` (or an invalid event) is the event's fault: straight to the
dead-letter topic. Anything else is a bug or an unknown: a few retries, then the DLQ,
with the bus's stall guard against a bad deploy.

Handlers raise ``TransientError`` for a condition they know will pass (a provider's
"try later", an object not yet visible) and ``PermanentError`` for input that can
never succeed. Adapters need not wrap library errors: the classifier looks through
``__cause__``/``__context__`` and knows the connection and timeout errors of
aiokafka, botocore, httpx, SQLAlchemy, asyncpg and sqlite.
"""

from __future__ import annotations

import builtins
import errno
import socket

TRANSIENT_HTTP_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_TRANSIENT_S3_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "Throttling",
        "ThrottlingException",
        "500",
        "502",
        "503",
        "504",
    }
)


_NETWORK_ERRNOS = frozenset(
    {
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.ETIMEDOUT,
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.EPIPE,
    }
)


class TransientError(Exception):
    """A condition that will pass (a dependency away, a timeout): retry, never dead-letter."""


class PermanentError(Exception):
    """Input that can never succeed: dead-letter at once, do not retry."""


def is_transient(exc: BaseException) -> bool:
    """True if ``exc`` (or what caused it) is a failure of the world, not of the event."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        if isinstance(current, PermanentError):
            return False
        if _transient_here(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_here(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | builtins.ConnectionError | builtins.TimeoutError):
        return True
    if isinstance(exc, socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS
    ):
        return True
    module = type(exc).__module__.split(".", 1)[0]
    check = _BY_LIBRARY.get(module)
    return bool(check and check(exc))


def _aiokafka(exc: BaseException) -> bool:
    from aiokafka import errors

    if isinstance(
        exc,
        errors.KafkaConnectionError
        | errors.KafkaTimeoutError
        | errors.RequestTimedOutError
        | errors.NodeNotReadyError
        | errors.NoBrokersAvailable
        | errors.UnknownTopicOrPartitionError
        | errors.LeaderNotAvailableError
        | errors.NotLeaderForPartitionError
        | errors.CoordinatorNotAvailableError
        | errors.NotCoordinatorError,
    ):
        return True
    return bool(getattr(exc, "retriable", False))


def _botocore(exc: BaseException) -> bool:
    from botocore import exceptions as bex

    if isinstance(
        exc,
        bex.EndpointConnectionError
        | bex.ConnectionClosedError
        | bex.ReadTimeoutError
        | bex.ConnectTimeoutError
        | bex.HTTPClientError,
    ):
        return True
    if isinstance(exc, bex.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return error.get("Code") in _TRANSIENT_S3_CODES or status in TRANSIENT_HTTP_STATUS
    return False


def _httpx(exc: BaseException) -> bool:
    import httpx

    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in TRANSIENT_HTTP_STATUS
    return False


def _sqlalchemy(exc: BaseException) -> bool:
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    # OperationalError is the database's state (locked, unreachable, shutting down),
    # not the statement's; DisconnectionError and a closed pool likewise.
    return isinstance(exc, sa.OperationalError | sa.DisconnectionError | sa.TimeoutError)


def _asyncpg(exc: BaseException) -> bool:
    from asyncpg import exceptions as pg

    return isinstance(
        exc,
        pg.PostgresConnectionError
        | pg.CannotConnectNowError
        | pg.TooManyConnectionsError
        | pg.ConnectionDoesNotExistError
        | pg.AdminShutdownError
        | pg.CrashShutdownError
        | pg.InterfaceError
        # rolled back for the order two transactions ran in (40P01, 40001): the same
        # work run again goes through
        | pg.DeadlockDetectedError
        | pg.SerializationError,
    )


def _sqlite(exc: BaseException) -> bool:
    import sqlite3

    return isinstance(exc, sqlite3.OperationalError)


def _openai_or_stripe(exc: BaseException) -> bool:
    """Provider SDKs: connection, timeout and 429/5xx errors carry a status or a name."""
    status = getattr(exc, "status_code", None) or getattr(exc, "http_status", None)
    if isinstance(status, int):
        return status in TRANSIENT_HTTP_STATUS
    return type(exc).__name__ in {"APIConnectionError", "APITimeoutError"}


_BY_LIBRARY = {
    "aiokafka": _aiokafka,
    "botocore": _botocore,
    "aiobotocore": _botocore,
    "httpx": _httpx,
    "httpcore": lambda exc: True,  # httpcore raises only transport-level errors
    "sqlalchemy": _sqlalchemy,
    "asyncpg": _asyncpg,
    "sqlite3": _sqlite,
    "openai": _openai_or_stripe,
    "stripe": _openai_or_stripe,
}
