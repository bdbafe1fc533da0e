"""Attack tests: each drives one hole of issue 11 through the public API of the running
system (real broker, S3, databases), the same one the end-to-end tests use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..e2e.client import Clashtor
from ..e2e.conftest import stack, stripe_stub  # noqa: F401 - the shared running system
from ..e2e.stack import Stack


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Clashtor]:  # noqa: F811 - stack is the fixture above
    """The owner of a new organization (free tier, nothing used), with an API key."""
    client = Clashtor(stack.gateway)
    client.signup()
    yield client
    client.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
