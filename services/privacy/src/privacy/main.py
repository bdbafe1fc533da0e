"""ASGI entry point: `uvicorn privacy.main:app` (or `--factory privacy.main:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from clashtor_common.service_main import lazy_app, service_app
from privacy.adapters.tables import TABLES
from privacy.bootstrap import bootstrap
from privacy.context import context_of
from privacy.domain.clock import Clock
from privacy.entrypoints.http import router
from privacy.service_layer.scheduler import Scheduler
from privacy.settings import PrivacySettings


def create_app(settings: PrivacySettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    runtime = bootstrap(settings, clock=clock)
    scheduler = Scheduler(context_of(runtime))
    app = service_app(__file__, runtime, routers=[router], tables=TABLES, workers=[scheduler])
    app.state.scheduler = scheduler  # tests move a ManualClock and call tick()
    return app


__getattr__ = lazy_app(create_app)
