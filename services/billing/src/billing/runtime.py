"""Billing's adapters and background loops, as hung on the service runtime."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import cast

from billing.adapters.stripe_gateway import StripeGateway
from billing.service_layer.reporting import UsageReporter
from billing.service_layer.subscriptions import sweep_expired_grace
from billing.service_layer.webhooks import WebhookProcessor
from billing.settings import BillingSettings
from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime

log = logging.getLogger(__name__)


class GraceSweeper:
    """Announces the free plan when a past-due subscription's grace period ends."""

    def __init__(self, db: Database, every_seconds: float) -> None:
        self.db = db
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    async def sweep(self, now: int | None = None) -> int:
        return await sweep_expired_grace(self.db, now or int(time.time()))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="grace-sweeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("grace sweep failed", exc_info=exc)
            await asyncio.sleep(self.every_seconds)


@dataclass
class BillingAdapters:
    settings: BillingSettings
    stripe: StripeGateway | None
    s3: S3Store
    keyring: Keyring
    webhooks: WebhookProcessor
    sweeper: GraceSweeper
    reporter: UsageReporter | None = None
    price_cache: dict[str, dict[str, object]] = field(default_factory=dict)

    async def start(self) -> None:
        if self.reporter:
            await self.reporter.start()
        await self.sweeper.start()

    async def stop(self) -> None:
        if self.reporter:
            await self.reporter.stop()
        await self.sweeper.stop()
        if self.stripe:
            await self.stripe.aclose()


def adapters_of(runtime: ServiceRuntime) -> BillingAdapters:
    return cast(BillingAdapters, runtime.extras["billing"])
