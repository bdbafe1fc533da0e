"""Composition root of the transcribe service: wires settings, database, bus and adapters."""

from __future__ import annotations

from clashtor_common.service import ServiceRuntime
from transcribe.entrypoints.stream import register_subscribers
from transcribe.settings import TranscribeSettings


def bootstrap(settings: TranscribeSettings | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime.build(settings or TranscribeSettings())
    register_subscribers(runtime)
    return runtime
