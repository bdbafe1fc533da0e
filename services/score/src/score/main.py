"""ASGI entry point: `uvicorn <service>.main:app` (or `--factory ...:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clashtor_common.migrate import find_migrations
from clashtor_common.periodic import Periodic
from clashtor_common.service import create_service_app
from score.adapters.tables import TABLES
from score.bootstrap import bootstrap, context_of
from score.entrypoints.http import router
from score.service_layer.rescore import run_jobs
from score.settings import ScoreSettings


def create_app(settings: ScoreSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    ctx = context_of(runtime)
    ctx.rescorer = Periodic(
        "score-rescore-jobs", ctx.settings.rescore_poll_seconds, lambda: run_jobs(ctx)
    )
    return create_service_app(
        runtime,
        title="Clashtor score",
        routers=[router],
        tables=TABLES,
        migrations=find_migrations(__file__),
        on_startup=[ctx.rescorer.start],
        on_shutdown=[ctx.rescorer.stop, ctx.stop],
    )


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
