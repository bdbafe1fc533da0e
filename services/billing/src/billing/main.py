"""ASGI entry point: `uvicorn <service>.main:app` (or `--factory ...:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from billing.adapters.tables import TABLES
from billing.bootstrap import bootstrap
from billing.context import context_of
from billing.entrypoints.http import router
from billing.settings import BillingSettings
from clashtor_common.migrate import find_migrations
from clashtor_common.service import create_service_app


def create_app(settings: BillingSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    context = context_of(runtime)
    return create_service_app(
        runtime,
        title="Clashtor billing",
        routers=[router],
        tables=TABLES,
        migrations=find_migrations(__file__),
        on_startup=[context.start],
        on_shutdown=[context.stop],
    )


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
