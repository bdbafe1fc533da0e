"""Composition root of the billing service: wires settings, database, bus and adapters.

``bootstrap`` builds the runtime and hangs billing's context on it (``context_of``):
the Stripe gateway (None when no API key is configured: the local default), the S3
store and keyring for export parts, the webhook processor, and the two background
loops (usage reporter, grace sweeper). Tests call it with their own settings, pointing
Stripe at a local server, exactly as production points it at Stripe.
"""

from __future__ import annotations

import time

from billing.adapters.stripe_gateway import gateway_from_settings
from billing.context import EXTRAS_KEY, BillingContext
from billing.entrypoints.stream import ROUTES
from billing.service_layer.reporting import UsageReporter
from billing.service_layer.subscriptions import sweep_expired_grace
from billing.service_layer.webhooks import WebhookProcessor
from billing.settings import BillingSettings
from clashtor_common.db import Database
from clashtor_common.periodic import Periodic
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime


def grace_sweeper(db: Database, every_seconds: float) -> Periodic:
    """Announces the free plan when a past-due subscription's grace period ends."""

    async def sweep() -> int:
        return await sweep_expired_grace(db, int(time.time()))

    return Periodic("billing-grace-sweeper", every_seconds, sweep)


def bootstrap(settings: BillingSettings | None = None) -> ServiceRuntime:
    settings = settings or BillingSettings()
    runtime = ServiceRuntime.build(settings)
    gateway = gateway_from_settings(settings)
    context = BillingContext(
        settings=settings,
        db=runtime.db,
        stripe=gateway,
        s3=S3Store(settings),
        keyring=settings.keyring(),
        webhooks=WebhookProcessor(runtime.db, gateway, grace_seconds=settings.grace_seconds),
        grace_sweeper=grace_sweeper(runtime.db, settings.grace_check_seconds),
        reporter=UsageReporter(
            runtime.db,
            gateway,
            poll_seconds=settings.usage_report_poll_seconds,
            batch=settings.usage_report_batch,
            max_backoff_seconds=settings.usage_report_max_backoff_seconds,
        )
        if gateway
        else None,
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
