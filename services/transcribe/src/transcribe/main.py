"""ASGI entry point: `uvicorn transcribe.main:app` (or `--factory transcribe.main:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from clashtor_common.keyservice import data_key_router
from clashtor_common.service_main import lazy_app, service_app
from transcribe.adapters.tables import TABLES, TranscriptRecord
from transcribe.bootstrap import bootstrap
from transcribe.context import context_of, workers_of
from transcribe.entrypoints.http import router
from transcribe.settings import TranscribeSettings


def create_app(settings: TranscribeSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings)
    keys = data_key_router(context_of, TranscriptRecord.call_id, TranscriptRecord.org_id)
    return service_app(
        __file__,
        runtime,
        routers=[router, keys],
        tables=TABLES,
        workers=[workers_of(runtime)],
        on_shutdown=[context_of(runtime).aclose],
    )


__getattr__ = lazy_app(create_app)
