"""Fixtures of the billing tests: localstripe, the Stripe stub in front of it, settings.

``stripe_stub`` is the URL the SDK is pointed at (``stripe_api_base``): Prices, Checkout,
Portal, Meters and meter events answered by the stub, everything else by localstripe.
Both run for the whole session on 127.0.0.1; tests keep apart by unique org ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clashtor_common.testing.modules import load_module
from clashtor_common.testing.servers import running

TESTS = Path(__file__).parent
API_KEY = "sk_test_clashtor_billing"
WEBHOOK_SECRET = "whsec_test_clashtor_billing"


stub_module = load_module(TESTS / "stripe_stub.py", "billing_tests_stripe_stub")


@pytest.fixture(scope="session")
def localstripe() -> Iterator[Any]:
    with running(stub_module.LocalStripe()) as server:
        yield server


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
