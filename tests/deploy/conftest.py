"""Fixtures for the deployment tests: every overlay rendered once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests import their helpers as a plain module (the suite runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).parent))

from deploy_support import OVERLAYS, Manifests, render_overlay


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> Manifests:
    """One rendered overlay (each test using it runs for dev and for prod)."""
    return render_overlay(request.param)


@pytest.fixture(scope="session")
def prod() -> Manifests:
    return render_overlay("prod")


@pytest.fixture(scope="session")
def dev() -> Manifests:
    return render_overlay("dev")
