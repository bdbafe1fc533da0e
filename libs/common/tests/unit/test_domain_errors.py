"""Domain errors become HTTP statuses only at the edge, each kind with its status."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clashtor_common.domain_errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooMany,
)
from clashtor_common.errors import install_error_handlers


class QuotaRule(Conflict):
    """A service's own rule, mapped through the kind it derives from."""

    code = "quota_rule"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidInput("bad subject", "invalid_subject"), 422, "invalid_subject"),
        (NotFound.of("request", "r-1"), 404, "not_found"),
        (Forbidden("owners only"), 403, "forbidden"),
        (Conflict("not deleted", "not_deleted"), 409, "not_deleted"),
        (Gone("export deleted", "export_expired"), 410, "export_expired"),
        (QuotaRule("over"), 409, "quota_rule"),
        (
            NotAuthenticated("email or password is wrong", "invalid_credentials"),
            401,
            "invalid_credentials",
        ),
        (
            TooMany("too many sign-ins", "too_many_attempts", retry_after=7),
            429,
            "too_many_attempts",
        ),
        (DomainError("unmapped"), 400, "bad_request"),
    ],
)
def test_each_domain_error_answers_its_status_in_the_common_json_shape(
    error: DomainError, status: int, code: str
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/x")
    async def raise_it() -> None:
        raise error

    resp = TestClient(app).get("/x")
    assert resp.status_code == status
    assert resp.json() == {"error": {"code": code, "message": error.message}}


def test_a_limit_says_when_to_try_again() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/x")
    async def raise_it() -> None:
        raise TooMany("too many uploads", retry_after=7)

    resp = TestClient(app).get("/x")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"


class DeclaredRule(Conflict, code="declared_rule"):
    """A kind that declares its code with the class."""


def test_a_kind_declares_its_code_with_the_class_and_keeps_its_base() -> None:
    error = DeclaredRule("over")
    assert (error.code, isinstance(error, Conflict)) == ("declared_rule", True)
    assert Conflict("x").code == "conflict"  # the subclass did not change its base


def test_not_found_unless_passes_a_value_through_and_refuses_none() -> None:
    assert NotFound.unless(0, "tracker", "t-1") == 0  # falsy but found
    with pytest.raises(NotFound, match="tracker t-1 not found"):
        NotFound.unless(None, "tracker", "t-1")
