"""ASGI entry point: `uvicorn ingest.main:app` (or `--factory ingest.main:create_app`)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from clashtor_common.keyservice import data_key_router
from clashtor_common.periodic import Periodic
from clashtor_common.service_main import lazy_app, service_app
from ingest.adapters.tables import TABLES, CallRecord
from ingest.bootstrap import bootstrap
from ingest.context import context_of
from ingest.entrypoints.http import router
from ingest.service_layer.reconcile import sweep_orphans
from ingest.settings import IngestSettings


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    ctx = context_of(runtime)
    grace = timedelta(seconds=ctx.settings.orphan_grace_seconds)
    sweeper = Periodic(
        "ingest-orphan-sweep",
        ctx.settings.orphan_sweep_interval_seconds,
        lambda: sweep_orphans(ctx, grace=grace),
    )
    keys = data_key_router(context_of, CallRecord.id, CallRecord.org_id)
    app = service_app(__file__, runtime, routers=[router, keys], tables=TABLES, workers=[sweeper])
    app.state.orphan_sweep = sweeper
    return app


__getattr__ = lazy_app(create_app)
