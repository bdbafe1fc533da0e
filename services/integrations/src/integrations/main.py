"""ASGI entry point: `uvicorn integrations.main:app` (or `--factory integrations.main:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clashtor_common.service_main import lazy_app, service_app
from integrations.adapters.tables import TABLES
from integrations.bootstrap import bootstrap
from integrations.context import context_of
from integrations.entrypoints.http import routers
from integrations.settings import IntegrationsSettings


def create_app(settings: IntegrationsSettings | None = None, **wiring: Any) -> FastAPI:
    """``wiring`` reaches ``bootstrap`` (tests pass a resolver or an HTTP transport)."""
    runtime = bootstrap(settings, **wiring)
    return service_app(
        __file__, runtime, routers=routers, tables=TABLES, workers=[context_of(runtime)]
    )


__getattr__ = lazy_app(create_app)
