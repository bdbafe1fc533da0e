"""ASGI entry point: `uvicorn <service>.main:app` (or `--factory ...:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clashtor_common.migrate import find_migrations
from clashtor_common.service import create_service_app
from integrations.adapters.tables import TABLES
from integrations.bootstrap import bootstrap
from integrations.context import context_of
from integrations.entrypoints.http import routers
from integrations.settings import IntegrationsSettings


def create_app(settings: IntegrationsSettings | None = None, **wiring: Any) -> FastAPI:
    """``wiring`` reaches ``bootstrap`` (tests pass a resolver or an HTTP transport)."""
    runtime = bootstrap(settings, **wiring)
    ctx = context_of(runtime)
    return create_service_app(
        runtime,
        title="Clashtor integrations",
        routers=routers,
        tables=TABLES,
        migrations=find_migrations(__file__),
        on_startup=[ctx.start],
        on_shutdown=[ctx.aclose],
    )


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
