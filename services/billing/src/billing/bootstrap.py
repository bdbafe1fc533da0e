"""Composition root of the billing service: wires settings, database, bus and adapters."""

from __future__ import annotations

from billing.entrypoints.stream import register_subscribers
from billing.settings import BillingSettings
from clashtor_common.service import ServiceRuntime


def bootstrap(settings: BillingSettings | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime.build(settings or BillingSettings())
    register_subscribers(runtime)
    return runtime
