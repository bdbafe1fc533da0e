"""ASGI entry point: `uvicorn privacy.main:app` (or `--factory privacy.main:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clashtor_common.migrate import find_migrations
from clashtor_common.service import create_service_app
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
    app = create_service_app(
        runtime,
        title="Clashtor privacy",
        routers=[router],
        tables=TABLES,
        migrations=find_migrations(__file__),
        on_startup=[scheduler.start],
        on_shutdown=[scheduler.stop],
    )
    app.state.scheduler = scheduler  # tests move a ManualClock and call tick()
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
