"""Composition root of the gateway service: wires settings, database, bus and adapters."""

from __future__ import annotations

from clashtor_common.service import ServiceRuntime
from gateway.entrypoints.stream import register_subscribers
from gateway.settings import GatewaySettings


def bootstrap(settings: GatewaySettings | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime.build(settings or GatewaySettings())
    register_subscribers(runtime)
    return runtime
