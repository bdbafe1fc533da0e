"""ASGI entry point: `uvicorn score.main:app` (or `--factory score.main:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from clashtor_common.periodic import Periodic
from clashtor_common.service_main import lazy_app, service_app
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
    return service_app(
        __file__,
        runtime,
        routers=[router],
        tables=TABLES,
        workers=[ctx.rescorer],
        on_shutdown=[ctx.stop],
    )


__getattr__ = lazy_app(create_app)
