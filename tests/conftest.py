"""Fixtures shared by the whole-system tests (``tests/e2e``, ``tests/security``): one
running system per test session, with a local SMTP sink the gateway mails through.

Billing is pointed at local Stripe stand-ins (localstripe, and the billing tests' stub
for the endpoints localstripe lacks) through the real ``stripe`` SDK.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clashtor_common.embedded import free_port
from clashtor_common.testing.modules import load_module
from clashtor_common.testing.otlp import OtlpReceiver
from clashtor_common.testing.servers import running
from clashtor_common.webbuild import ensure_built
from gateway.settings import GatewaySettings

from .e2e.client import Clashtor
from .e2e.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
STRIPE_API_KEY = "sk_test_clashtor_e2e"
STRIPE_WEBHOOK_SECRET = "whsec_test_clashtor_e2e"
FREE_PLAN_MINUTES = 10
"""The free tier of the session's stack (60 in production): the quota tests fill it, and
every minute they upload is decoded and transcribed by the stack that all tests share."""
SIGNUPS_PER_ADDRESS = 40
"""Every test signs up from 127.0.0.1: room for the whole session, still finite."""
_DEFAULT_LIMITS = GatewaySettings.model_fields.get("rate_limits")
GATEWAY_LIMITS = {
    **(_DEFAULT_LIMITS.default_factory() if _DEFAULT_LIMITS else {}),  # type: ignore[misc]
    "signup": {"addr": SIGNUPS_PER_ADDRESS},
    "confirm": {"addr": 200},
}


def _zoom_stub_module() -> ModuleType:
    return load_module(ROOT / "services/integrations/tests/integration/zoom_stub.py", "e2e_zoom")


@pytest.fixture(scope="session")
def zoom_stub() -> Iterator[Any]:
    """A local Zoom (OAuth, REST, recording downloads) the stack's integrations talks to."""
    with running(_zoom_stub_module().ZoomStub()) as stub:
        yield stub


def _stripe_stub_module() -> ModuleType:
    return load_module(ROOT / "services/billing/tests/stripe_stub.py", "e2e_stripe_stub")


@pytest.fixture(scope="session")
def stripe_stub() -> Iterator[Any]:
    module = _stripe_stub_module()
    with (
        running(module.LocalStripe()) as localstripe,
        running(module.StripeStub(localstripe.url)) as stub,
    ):
        yield stub


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    """The collector every service of the stack exports its spans and metrics to (OTLP/HTTP)."""
    with running(OtlpReceiver()) as receiver:
        yield receiver


def telemetry_env(otlp: OtlpReceiver) -> dict[str, str]:
    """Export as in production, to the test receiver, without the production delays."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_METRIC_EXPORT_INTERVAL": "5000",
    }


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, stripe_stub: Any, zoom_stub: Any, otlp: OtlpReceiver
) -> Iterator[Stack]:
    billing = {
        "BILLING_STRIPE_API_KEY": STRIPE_API_KEY,
        "BILLING_STRIPE_API_BASE": stripe_stub.url,
        "BILLING_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    }
    workdir = tmp_path_factory.mktemp("e2e")
    gateway = {
        # the gateway serves the web app, as under `make up` (built once, then cached by hash)
        "GATEWAY_WEB_DIR": str(ensure_built(log=workdir / "web-build.log")),
        "GATEWAY_RATE_LIMITS": json.dumps(GATEWAY_LIMITS),
        "GATEWAY_METRICS_PORT": str(free_port()),
    }
    ingest = {"INGEST_FREE_PLAN_MINUTES": str(FREE_PLAN_MINUTES)}
    integrations = {
        "ZOOM_CLIENT_ID": zoom_stub.client_id,
        "ZOOM_CLIENT_SECRET": zoom_stub.client_secret,
        "ZOOM_WEBHOOK_SECRET_TOKEN": zoom_stub.secret_token,
        "INTEGRATIONS_ZOOM_OAUTH_BASE_URL": zoom_stub.base_url,
        "INTEGRATIONS_ZOOM_API_BASE_URL": zoom_stub.api_base_url,
        "INTEGRATIONS_ZOOM_DOWNLOAD_HOSTS": '["127.0.0.1"]',
        "INTEGRATIONS_ZOOM_IMPORT_POLL_SECONDS": "0.5",
        "INTEGRATIONS_WEBHOOK_RETRY_INITIAL_SECONDS": "0.5",
        # the browser test's webhook receiver listens on this machine (as `make up` allows)
        "INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }
    running = Stack(
        workdir,
        extra_env={
            "billing": billing,
            "gateway": gateway,
            "ingest": ingest,
            "integrations": integrations,
        },
        common_env=telemetry_env(otlp),
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Clashtor]:
    """The owner of a new organization (free tier, nothing used), with an API key."""
    client = Clashtor(stack.gateway)
    client.signup()
    yield client
    client.close()
