"""The browser tests' Chromium page: one per module, on the running system's gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from ..stack import Stack
from .support import browser_page


@pytest.fixture(scope="module")
def page(stack: Stack) -> Iterator[Page]:
    with browser_page(stack.gateway) as opened:
        yield opened
