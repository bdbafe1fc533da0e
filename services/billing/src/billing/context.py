"""The billing service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container by name instead of digging in
``runtime.extras``. It also owns billing's two background loops (both
``clashtor_common.periodic.Periodic``): the usage reporter (Stripe meter events,
woken by each commit that records usage) and the grace sweeper (the free plan
announced when a past-due subscription's grace period ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.adapters.stripe_gateway import StripeGateway
from billing.service_layer.reporting import UsageReporter
from billing.service_layer.webhooks import WebhookProcessor
from billing.settings import BillingSettings
from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.periodic import Periodic
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime

EXTRAS_KEY = "billing"


@dataclass
class BillingContext:
    settings: BillingSettings
    db: Database
    stripe: StripeGateway | None
    """None when no Stripe key is configured (the local default)."""
    s3: S3Store
    keyring: Keyring
    webhooks: WebhookProcessor
    grace_sweeper: Periodic
    reporter: UsageReporter | None = None
    price_cache: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def fingerprint_secret(self) -> str:
        return self.settings.fingerprint_secret.get_secret_value()

    async def start(self) -> None:
        if self.reporter:
            await self.reporter.start()
        await self.grace_sweeper.start()

    async def stop(self) -> None:
        if self.reporter:
            await self.reporter.stop()
        await self.grace_sweeper.stop()
        if self.stripe:
            await self.stripe.aclose()


def context_of(runtime: ServiceRuntime) -> BillingContext:
    context: BillingContext = runtime.extras[EXTRAS_KEY]
    return context
