"""Request body helpers of clashtor_common.contracts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clashtor_common.contracts import InModel, at_least_one_of


class Named(InModel):
    id: str | None = None
    email: str | None = None

    _named = at_least_one_of("id", "email", message="needs an id or an email")


def test_a_body_setting_one_of_the_fields_is_taken() -> None:
    assert Named(id="u1").id == "u1"
    assert Named(email="a@b.example").email == "a@b.example"
    assert Named(id="u1", email="a@b.example").id == "u1"


def test_a_body_setting_none_of_them_is_refused_with_the_message() -> None:
    with pytest.raises(ValidationError) as refused:
        Named()
    (error,) = refused.value.errors()
    assert error["msg"] == "Value error, needs an id or an email"
    assert error["loc"] == ()
