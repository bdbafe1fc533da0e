"""Composition root of the score service: wires settings, database, bus and adapters."""

from __future__ import annotations

from clashtor_common.service import ServiceRuntime
from score.entrypoints.stream import register_subscribers
from score.settings import ScoreSettings


def bootstrap(settings: ScoreSettings | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime.build(settings or ScoreSettings())
    register_subscribers(runtime)
    return runtime
