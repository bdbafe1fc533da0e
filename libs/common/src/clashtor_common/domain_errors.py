"""Errors a domain rule or a use case raises, in the language of the rule, not of HTTP.

Service layers raise these; only the HTTP entry points turn them into statuses (see
``clashtor_common.errors.DOMAIN_STATUS``), so the same use case can be called from an
event handler, a scheduler or a test without knowing about HTTP. Each carries the
machine-readable ``code`` a client sees and a message it can act on.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A request the rules do not allow; ``code`` names which rule."""

    code = "bad_request"

    def __init_subclass__(cls, code: str | None = None, **kwargs: object) -> None:
        """A kind of error declares its ``code`` with the class: ``class Gone(DomainError,
        code="gone")``."""
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError, code="invalid"):
    """Well-formed but not acceptable (a subject of the wrong type, an unknown plan)."""


class InvalidField(InvalidInput, code="validation_error"):
    """One named input refused (a forged cursor, a date that is not one): answered like
    any request validation, a 422 ``validation_error`` with its entry in ``errors``."""

    def __init__(
        self, message: str, *, field: str, location: str = "query", kind: str = "value_error"
    ) -> None:
        super().__init__(message)
        self.field = field
        self.location = location
        self.kind = kind

    def field_errors(self) -> list[dict[str, str]]:
        return [
            {
                "field": self.field,
                "location": self.location,
                "message": self.message,
                "type": self.kind,
            }
        ]


class NotAuthenticated(DomainError, code="not_authenticated"):
    """Who is asking could not be established (wrong credentials, an account gone)."""


class TooMany(DomainError, code="rate_limited"):
    """Past a limit; the same request may succeed after ``retry_after`` seconds."""

    def __init__(self, message: str, code: str | None = None, *, retry_after: int) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after


class NotFound(DomainError, code="not_found"):
    """No such thing in the caller's organization (another org's ids are not found too)."""

    @classmethod
    def of(cls, kind: str, ident: str) -> NotFound:
        return cls(f"{kind} {ident} not found")

    @classmethod
    def unless(cls, found: T | None, kind: str, ident: str) -> T:
        """``found``; raises ``NotFound.of(kind, ident)`` if it is None."""
        if found is None:
            raise cls.of(kind, ident)
        return found


class Forbidden(DomainError, code="forbidden"):
    """The caller may not do this (role, ownership, a deleted account)."""


class Conflict(DomainError, code="conflict"):
    """The thing is in a state that does not allow this now."""


class Gone(DomainError, code="gone"):
    """It existed and was deleted for good (an expired export, say)."""


class LimitReached(DomainError, code="limit_reached"):
    """The organization's plan does not cover this (minutes, seats): upgrading would."""


class TooLarge(DomainError, code="too_large"):
    """The input is bigger or longer than allowed; the message says the limit."""


class TimedOut(DomainError, code="timeout"):
    """The request took longer than allowed to arrive (a client too slow to finish)."""


class UnsupportedFormat(DomainError, code="unsupported_format"):
    """The input is not in a format we accept (not audio, say)."""


class Unavailable(DomainError, code="unavailable"):
    """A dependency outside our control (a provider) cannot serve this now."""
