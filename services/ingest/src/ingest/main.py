"""ASGI entry point: `uvicorn <service>.main:app` (or `--factory ...:create_app`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from clashtor_common.keyservice import data_key_router
from clashtor_common.migrate import find_migrations
from clashtor_common.periodic import Periodic
from clashtor_common.service import create_service_app
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
    app = create_service_app(
        runtime,
        title="Clashtor ingest",
        routers=[router, data_key_router(context_of, CallRecord.id, CallRecord.org_id)],
        tables=TABLES,
        migrations=find_migrations(__file__),
        on_startup=[sweeper.start],
        on_shutdown=[sweeper.stop],
    )
    app.state.orphan_sweep = sweeper
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
