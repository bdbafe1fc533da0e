"""JSON errors ``{"error": {"code", "message"}}`` everywhere, never a 500 for bad input."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.types import Message, Receive, Scope, Send

from clashtor_common.asgi import HttpMiddleware
from clashtor_common.domain_errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidField,
    InvalidInput,
    LimitReached,
    NotAuthenticated,
    NotFound,
    TimedOut,
    TooLarge,
    TooMany,
    Unavailable,
    UnsupportedFormat,
)
from clashtor_common.failures import TransientError, is_transient

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
}

#: Seconds a client is told to wait when a dependency (S3, say) is unreachable.
RETRY_AFTER_SECONDS = 5
#: Failures that may be a dependency being down rather than a bug (see ``failures``).
_MAYBE_TRANSIENT = (
    TransientError,
    BotoCoreError,
    ClientError,
    ConnectionRefusedError,
    ConnectionResetError,
    TimeoutError,
)


#: The HTTP status of each kind of domain error: the one place a rule becomes a status.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotAuthenticated: 401,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    TimedOut: 408,
    Gone: 410,
    LimitReached: 402,
    TooLarge: 413,
    UnsupportedFormat: 415,
    TooMany: 429,
    Unavailable: 503,
}


def domain_status(exc: DomainError) -> int:
    """The status of the nearest mapped class in ``exc``'s ancestry (400 if none)."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 400


class ApiError(Exception):
    """An error a client can act on; ``errors``: a 422's per-field entries, if any."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.errors = errors


def error_body(
    code: str, message: str, errors: list[dict[str, str]] | None = None
) -> dict[str, dict[str, Any]]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return {"error": body}


FIELD_ERROR_KEYS = ("field", "location", "message", "type")


def field_errors_of(body: Any) -> list[dict[str, str]] | None:
    """The per-field ``errors`` of an error body another service answered, kept to the
    documented keys (so a gateway passes them on without passing anything else)."""
    err = body.get("error") if isinstance(body, dict) else None
    items = err.get("errors") if isinstance(err, dict) else None
    if not isinstance(items, list):
        return None
    kept = [
        {k: str(item.get(k, "")) for k in FIELD_ERROR_KEYS}
        for item in items[:MAX_FIELD_ERRORS]
        if isinstance(item, dict) and item.get("location") in _LOCATIONS
    ]
    return kept or None


MAX_FIELD_ERRORS = 20


def validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    """422 body: the usual ``code`` and ``message`` (the first few problems joined) plus
    ``errors``, one entry per invalid field, so a client can show each beside its input.

    ``field`` is the dotted path inside its location (``participants.0.email``),
    ``location`` where it was sent (``body``, ``query``, ``path``, ``header``, ``cookie``),
    ``type`` pydantic's machine-readable error type. The input itself is never echoed
    (it may be a password)."""
    fields: list[dict[str, str]] = []
    for err in list(errors)[:MAX_FIELD_ERRORS]:
        loc = [str(p) for p in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in _LOCATIONS else "body"
        path = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        fields.append(
            {
                "field": ".".join(path),
                "location": location,
                "message": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    message = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}"
        for err in list(errors)[:5]
    )
    body: dict[str, Any] = error_body("validation_error", message)
    body["error"]["errors"] = fields
    return body


_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"{kind} {ident} not found")


def unavailable_response() -> JSONResponse:
    """503 with ``Retry-After``: nothing was done, the same request later will work."""
    return JSONResponse(
        error_body(
            "service_unavailable",
            "storage is temporarily unavailable; nothing was saved, try again shortly",
        ),
        503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def unhandled_response(exc: Exception) -> JSONResponse:
    """What an exception no handler took answers: 503 + ``Retry-After`` if it may be a
    dependency being down (``failures.is_transient``), else a 500 that says nothing more.

    Classified by its cause, not its class: a database that refuses connections or is
    locked arrives wrapped (SQLAlchemy's DBAPIError or OperationalError over asyncpg's
    TooManyConnectionsError or sqlite's "database is locked") and is a 503 to retry."""
    if is_transient(exc):
        log.warning("dependency unavailable: %r", exc)
        return unavailable_response()
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal", "internal error"), 500)


class UnhandledErrorMiddleware(HttpMiddleware):
    """The innermost middleware: an exception the endpoint raised before answering
    becomes ``unhandled_response`` here, inside every other middleware, so the answer gets
    what they add (``X-Request-ID``, the gateway's security headers and ``no-store``) and
    is logged while the request id is still bound. Starlette's own catch-all
    (``add_exception_handler(Exception, ...)``) sits outside them all.

    After the response started a second start cannot be sent: the exception goes on up
    and the server aborts the connection, as before."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as exc:
            if started:
                raise
            await unhandled_response(exc)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = error_body(exc.code, exc.message, exc.errors)
        return JSONResponse(body, exc.status, headers=exc.headers)

    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
        fields = exc.field_errors() if isinstance(exc, InvalidField) else None
        body = error_body(exc.code, exc.message, fields)
        return JSONResponse(body, domain_status(exc), headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc.errors()), 422)

    async def _dependency_error(_: Request, exc: Exception) -> JSONResponse:
        return unhandled_response(exc)

    for exc_class in _MAYBE_TRANSIENT:
        app.add_exception_handler(exc_class, _dependency_error)  # type: ignore[arg-type]

    # Innermost whatever the order of later add_middleware calls (each goes outside the
    # ones before): appended last to the list Starlette wraps from the outside in.
    app.user_middleware.append(Middleware(UnhandledErrorMiddleware))
    # A failure in a middleware itself reaches only Starlette's catch-all, outside them.
    app.add_exception_handler(Exception, _dependency_error)
