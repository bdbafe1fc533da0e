"""ASGI entry point: `uvicorn billing.main:app` (or `--factory billing.main:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from billing.adapters.tables import TABLES
from billing.bootstrap import bootstrap
from billing.context import context_of
from billing.entrypoints.http import router
from billing.settings import BillingSettings
from clashtor_common.service_main import lazy_app, service_app


def create_app(settings: BillingSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return service_app(
        __file__, runtime, routers=[router], tables=TABLES, workers=[context_of(runtime)]
    )


__getattr__ = lazy_app(create_app)
