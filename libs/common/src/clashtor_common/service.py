"""The service app factory: one FastAPI app per service with its bus, relay and probes."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlmodel import SQLModel

from clashtor_common.bus import EventConsumer, make_broker, start_broker, subscribe
from clashtor_common.db import Database
from clashtor_common.errors import install_error_handlers
from clashtor_common.inbox import InboxRecord
from clashtor_common.logs import configure_logging
from clashtor_common.outbox import OutboxRecord, OutboxRelay
from clashtor_common.settings import ServiceSettings
from clashtor_common.telemetry import tracer_provider

log = logging.getLogger(__name__)
Hook = Callable[[], Awaitable[None]]


@dataclass
class ServiceRuntime:
    """Everything a service process wires once: its composition root's output."""

    settings: ServiceSettings
    db: Database
    broker: KafkaBroker
    relay: OutboxRelay
    consumers: list[EventConsumer] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    broker_connected: bool = False

    @classmethod
    def build(cls, settings: ServiceSettings) -> ServiceRuntime:
        db = Database(settings.database_url)
        broker = make_broker(settings)
        relay = OutboxRelay(
            db, settings.kafka_client_kwargs(), poll_seconds=settings.relay_poll_seconds
        )
        return cls(settings=settings, db=db, broker=broker, relay=relay)

    def subscribe_all(
        self, routes: Mapping[str, Callable[..., Awaitable[None]]], **deps: Any
    ) -> None:
        """Register each topic's handler; ``deps`` reach every handler by keyword."""
        for topic, handler in routes.items():
            bound = functools.partial(handler, **deps) if deps else handler
            self.consumers.append(
                subscribe(self.broker, topic, settings=self.settings, db=self.db, handler=bound)
            )

    async def connect_broker(self) -> None:
        """Start the broker, retrying until it answers (the app stays up, not ready)."""
        delay = 0.5
        while True:
            try:
                await start_broker(self.broker)
                self.broker_connected = True
                return
            except Exception as exc:
                log.warning("broker not reachable yet: %s", exc)
                try:
                    await self.broker.stop()
                except Exception:
                    pass
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def ready(self) -> dict[str, bool]:
        db_ok = await self.db.ping()
        broker_ok = False
        if self.broker_connected:
            try:
                broker_ok = await self.broker.ping(timeout=2)
            except Exception:
                broker_ok = False
        return {"database": db_ok, "broker": broker_ok}


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    tables: Sequence[type[SQLModel]] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    extra_readiness: Callable[[], Awaitable[dict[str, bool]]] | None = None,
) -> FastAPI:
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        await runtime.db.create_all(OutboxRecord, InboxRecord, *tables)
        for hook in on_startup:
            await hook()
        connect = asyncio.create_task(runtime.connect_broker())
        await asyncio.wait({connect}, timeout=15)
        await runtime.relay.start()
        try:
            yield
        finally:
            await runtime.relay.stop()
            connect.cancel()
            for hook in on_shutdown:
                await hook()
            await runtime.broker.stop()
            await runtime.db.dispose()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = settings
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await runtime.ready()
        if extra_readiness:
            checks.update(await extra_readiness())
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    for router in routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=tracer_provider(settings.service_name), excluded_urls="healthz,readyz"
    )
    return app
