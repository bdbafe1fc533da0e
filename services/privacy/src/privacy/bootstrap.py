"""Composition root of the privacy service: wires settings, database, bus and adapters."""

from __future__ import annotations

from clashtor_common.service import ServiceRuntime
from privacy.entrypoints.stream import register_subscribers
from privacy.settings import PrivacySettings


def bootstrap(settings: PrivacySettings | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime.build(settings or PrivacySettings())
    register_subscribers(runtime)
    return runtime
