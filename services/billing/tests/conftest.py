"""Fixtures of the billing tests: localstripe, the Stripe stub in front of it, settings.

``stripe_stub`` is the URL the SDK is pointed at (``stripe_api_base``): Prices, Checkout,
Portal, Meters and meter events answered by the stub, everything else by localstripe.
Both run for the whole session on 127.0.0.1; tests keep apart by unique org ids.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TESTS = Path(__file__).parent
API_KEY = "sk_test_clashtor_billing"
WEBHOOK_SECRET = "whsec_test_clashtor_billing"


def _load(name: str, filename: str) -> ModuleType:
    """Load a helper module under a service-unique name (tests run in importlib mode)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / filename)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


stub_module = _load("billing_tests_stripe_stub", "stripe_stub.py")


@pytest.fixture(scope="session")
def localstripe() -> Iterator[Any]:
    server = stub_module.LocalStripe().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stripe_stub(localstripe: Any) -> Iterator[Any]:
    stub = stub_module.StripeStub(localstripe.url).start()
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture(scope="session")
def stripe_settings(stripe_stub: Any) -> dict[str, Any]:
    """Billing settings that point the real SDK at the local Stripe."""
    return {
        "stripe_api_key": API_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": stripe_stub.url,
        "stripe_retry_initial_seconds": 0.05,
        "stripe_timeout_seconds": 10,
    }
