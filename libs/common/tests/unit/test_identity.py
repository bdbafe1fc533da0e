"""The internal identity: what a refusal says (and does not say) to the caller."""

from __future__ import annotations

import pytest

from clashtor_common.errors import ApiError
from clashtor_common.identity import Identity, sign_identity, verify_identity

SECRET = "a-test-identity-secret-of-enough-length"
WHO = Identity(org_id="o1", user_id="u1", role="rep")


def test_a_valid_identity_round_trips() -> None:
    assert verify_identity(sign_identity(WHO, SECRET), SECRET) == WHO


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (sign_identity(WHO, "another-secret-of-enough-length-too"), "internal identity rejected"),
        (sign_identity(WHO, SECRET, ttl_seconds=-10), "internal identity expired"),
        ("not-a-token", "internal identity rejected"),
    ],
)
def test_a_refusal_carries_no_library_text(token: str, message: str) -> None:
    with pytest.raises(ApiError) as refused:
        verify_identity(token, SECRET)
    assert refused.value.status == 401 and refused.value.code == "invalid_identity"
    assert refused.value.message == message
