"""Download links name one request, org and user, and expire by the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privacy.adapters.tokens import DownloadGrant, InvalidToken, mint, verify

NOW = datetime(2030, 1, 1, tzinfo=UTC)
GRANT = DownloadGrant("r-1", "org-1", "u-1")


def test_a_link_is_valid_until_it_expires() -> None:
    token = mint(GRANT, "s" * 32, now=NOW, ttl_seconds=900)
    assert verify(token, "s" * 32, now=NOW + timedelta(seconds=899)) == GRANT
    with pytest.raises(InvalidToken, match="expired"):
        verify(token, "s" * 32, now=NOW + timedelta(seconds=900))


def test_a_link_signed_with_another_secret_or_altered_is_refused() -> None:
    token = mint(GRANT, "s" * 32, now=NOW, ttl_seconds=900)
    with pytest.raises(InvalidToken):
        verify(token, "t" * 32, now=NOW)
    with pytest.raises(InvalidToken):
        verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "s" * 32, now=NOW)
