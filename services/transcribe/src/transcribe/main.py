"""ASGI entry point: `uvicorn <service>.main:app` (or `--factory ...:create_app`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from clashtor_common.keyservice import data_key_router
from clashtor_common.migrate import find_migrations
from clashtor_common.service import create_service_app
from transcribe.adapters.tables import TABLES, TranscriptRecord
from transcribe.bootstrap import bootstrap
from transcribe.context import context_of
from transcribe.entrypoints.http import router
from transcribe.settings import TranscribeSettings


def create_app(settings: TranscribeSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    return create_service_app(
        runtime,
        title="Clashtor transcribe",
        routers=[
            router,
            data_key_router(context_of, TranscriptRecord.call_id, TranscriptRecord.org_id),
        ],
        tables=TABLES,
        migrations=find_migrations(__file__),
        on_shutdown=[context_of(runtime).aclose],
    )


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first access so importing this module has no side effects
        return create_app()
    raise AttributeError(name)
