"""ASGI entry point: `uvicorn <service>.main:app` (or `--factory ...:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clashtor_common.migrate import find_migrations
from clashtor_common.service import create_service_app
from ingest.adapters.tables import TABLES
from ingest.bootstrap import bootstrap
from ingest.entrypoints.http import router
from ingest.settings import IngestSettings


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return create_service_app(
        runtime,
        title="Clashtor ingest",
        routers=[router],
        tables=TABLES,
        migrations=find_migrations(__file__),
    )


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
