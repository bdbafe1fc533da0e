"""Composition root of the ingest service: wires settings, database, bus and adapters."""

from __future__ import annotations

from clashtor_common.service import ServiceRuntime
from ingest.entrypoints.stream import register_subscribers
from ingest.settings import IngestSettings


def bootstrap(settings: IngestSettings | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime.build(settings or IngestSettings())
    register_subscribers(runtime)
    return runtime
