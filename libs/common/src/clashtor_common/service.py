"""The service app factory: one FastAPI app per service with its bus, relay and probes.

At start a service migrates its database (``alembic upgrade head``; development
only, a Kubernetes init container does it in production), ensures its topics exist,
connects its consumers, starts its outbox relay, the outbox/inbox purge and the
watch that halts it if the broker lost its log (``clashtor_common.broker_watch``).
``/readyz`` is 503 while the database or broker is unreachable or the service is
halted; 200 with ``"status": "degraded"`` while a consumer waits out a transient
failure (it cannot progress, but the HTTP API still serves).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlmodel import SQLModel

from clashtor_common.broker_watch import LogWatch, ensure_topics
from clashtor_common.bus import (
    EventConsumer,
    group_subscribers,
    make_broker,
    start_broker,
    subscribe,
)
from clashtor_common.datakeys import Reclaimer
from clashtor_common.db import Database
from clashtor_common.errors import install_error_handlers
from clashtor_common.failures import is_transient
from clashtor_common.heap import startup_heap_frozen
from clashtor_common.housekeeping import purge_periodically
from clashtor_common.inbox import InboxRecord
from clashtor_common.logs import configure_logging
from clashtor_common.metrics import MetricsRefresher
from clashtor_common.migrate import upgrade_head
from clashtor_common.otel_asgi import keep_duration_only, on_instrumentation_layer
from clashtor_common.outbox import OutboxRecord, OutboxRelay, pending_count
from clashtor_common.periodic import Periodic
from clashtor_common.request_id import RequestIdMiddleware
from clashtor_common.route_spans import name_spans_by_route_templates
from clashtor_common.settings import ServiceSettings
from clashtor_common.telemetry import (
    meter_provider,
    metrics_text,
    redact_server_query,
    shutdown,
    tracer_provider,
)

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
    watch: LogWatch | None = None

    @classmethod
    def build(cls, settings: ServiceSettings) -> ServiceRuntime:
        db = Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        broker = make_broker(settings)
        relay = OutboxRelay(
            db, settings.kafka_client_kwargs(), poll_seconds=settings.relay_poll_seconds
        )
        return cls(settings=settings, db=db, broker=broker, relay=relay)

    def attach(
        self,
        key: str,
        context: Any,
        routes: Mapping[str, Callable[..., Awaitable[None]]],
        **deps: Any,
    ) -> ServiceRuntime:
        """Hang the service's typed context on the runtime (its ``context_of`` reads
        ``extras[key]``) and subscribe its handlers, offering them ``context`` and ``deps``."""
        self.extras[key] = context
        self.subscribe_all(routes, context=context, **deps)
        return self

    def subscribe_all(
        self, routes: Mapping[str, Callable[..., Awaitable[None]]], **deps: Any
    ) -> None:
        """Register each topic's handler with the ``deps`` it names.

        A handler receives, by keyword, only the dependencies its signature names (as
        in cosmicpython's ``inject_dependencies``), so reading it says what it uses.
        """
        for topic, handler in routes.items():
            named = named_dependencies(handler, deps)
            bound = functools.partial(handler, **named) if named else handler
            self.consumers.append(
                subscribe(self.broker, topic, settings=self.settings, db=self.db, handler=bound)
            )

    async def connect_broker(self) -> None:
        """Ensure topics and start the broker, retrying until it answers (up, not ready)."""
        delay = 0.5
        while True:
            try:
                await self._ensure_topics()
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

    async def _ensure_topics(self) -> None:
        """Create missing topics; where ACLs forbid it (topics declared by the platform),
        say so and go on: the topics exist there already."""
        if not self.settings.kafka_ensure_topics:
            return
        try:
            created = await ensure_topics(
                self.settings.kafka_client_kwargs(),
                partitions=self.settings.kafka_topic_partitions,
            )
        except Exception as exc:
            if is_transient(exc):
                raise  # the broker is away: connect_broker retries
            log.warning("could not ensure topics (%s); continuing with what exists", exc)
            return
        if created:
            log.info("created topics %s", ", ".join(created))

    async def ready(self) -> dict[str, bool]:
        db_ok = await self.db.ping()
        broker_ok = False
        if self.broker_connected:
            try:
                broker_ok = await self.broker.ping(timeout=2)
            except Exception:
                broker_ok = False
        return {"database": db_ok, "broker": broker_ok, "log": self.halted is None}

    @property
    def halted(self) -> str | None:
        return self.watch.halted if self.watch else None

    def degraded(self) -> dict[str, str]:
        """Consumers held by a transient failure: topic -> since how long, and why."""
        now = time.monotonic()
        return {
            c.topic: f"retrying for {now - c.stats.waiting_since:.0f}s: {c.stats.last_error}"
            for c in self.consumers
            if c.stats.waiting_since is not None
        }

    def start_watch(self) -> LogWatch:
        def stop_relay(reason: str) -> None:
            self.relay.halted = reason

        self.watch = LogWatch(
            self.broker,
            self.settings.kafka_client_kwargs(),
            service=self.settings.service_name,
            every_seconds=self.settings.broker_check_seconds,
            on_halt=stop_relay,
        )
        return self.watch

    async def migrate(self, migrations: Path | None, tables: Sequence[type[SQLModel]]) -> None:
        if not self.settings.migrate_on_start:
            return
        if migrations is None:
            log.warning("no migrations directory found: the schema is left as it is")
            return
        await upgrade_head(
            self.settings.database_url, migrations, (OutboxRecord, InboxRecord, *tables)
        )

    def metrics(self) -> MetricsRefresher:
        return MetricsRefresher(
            self.settings.service_name,
            self.db,
            lambda: group_subscribers(self.broker),
            backlog=pending_count,
        )

    def housekeeping(self) -> Periodic:
        s = self.settings
        return purge_periodically(
            self.db,
            outbox_retention=timedelta(hours=s.outbox_retention_hours),
            inbox_retention=timedelta(hours=s.inbox_retention_hours),
            every_seconds=s.purge_interval_seconds,
        )


def named_dependencies(
    handler: Callable[..., Awaitable[None]], deps: Mapping[str, Any]
) -> dict[str, Any]:
    """The subset of ``deps`` that ``handler`` names as parameters (all, for ``**kwargs``)."""
    params = inspect.signature(handler).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(deps)
    return {name: value for name, value in deps.items() if name in params}


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    tables: Sequence[type[SQLModel]] = (),
    migrations: Path | None = None,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    extra_readiness: Callable[[], Awaitable[dict[str, bool]]] | None = None,
    public: bool = False,
    operation_id: Callable[[APIRoute], str] = generate_unique_id,
) -> FastAPI:
    """The service's app. ``public`` (the gateway) keeps ``/metrics`` off the app's port
    (served on ``metrics_port`` only) and drops callers' ``baggage``. ``operation_id``
    names each route's OpenAPI operation (FastAPI's default unless the service has its own)."""
    settings = runtime.settings
    measure = runtime.metrics()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        await runtime.migrate(migrations, tables)
        for hook in on_startup:
            await hook()
        connect = asyncio.create_task(runtime.connect_broker())
        await asyncio.wait({connect}, timeout=15)
        await runtime.relay.start()
        purge = runtime.housekeeping()
        await purge.start()
        refresh = Periodic("metrics-refresh", settings.metrics_refresh_seconds, measure.refresh)
        await refresh.start()
        metrics_server = serve_metrics(settings)
        reclaimer = Reclaimer(runtime.db.engine, settings.s3_vacuum_url)
        background = [
            asyncio.create_task(runtime.start_watch().run(), name="broker-log-watch"),
            asyncio.create_task(reclaimer.run(), name="erasure-reclaimer"),
        ]
        try:
            with startup_heap_frozen():
                yield
        finally:
            if metrics_server is not None:
                metrics_server.shutdown()
            await refresh.stop()
            await purge.stop()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await runtime.relay.stop()
            connect.cancel()
            for hook in on_shutdown:
                await hook()
            await runtime.broker.stop()
            await runtime.db.dispose()
            shutdown()

    app = FastAPI(title=title, lifespan=lifespan, generate_unique_id_function=operation_id)
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
        degraded = runtime.degraded()
        body: dict[str, Any] = {
            "ready": ok,
            "status": "not-ready" if not ok else "degraded" if degraded else "ok",
            "checks": checks,
        }
        if degraded:
            body["degraded"] = degraded
        if runtime.halted:
            body["halted"] = runtime.halted
        return JSONResponse(body, status_code=200 if ok else 503)

    if not public:

        @app.get("/metrics", include_in_schema=False)
        async def prometheus_metrics() -> Response:
            """Prometheus text; lag and backlog measured now (internal port only)."""
            try:
                await asyncio.wait_for(measure.refresh(), timeout=5)
            except TimeoutError:
                log.info("metrics refresh timed out; serving the last values")
            body, content_type = metrics_text()
            return Response(body, media_type=content_type)

    for router in routers:
        app.include_router(router)
    app.add_middleware(RequestIdMiddleware, trust_baggage=not public)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider(settings.service_name),
        meter_provider=meter_provider(settings.service_name),
        excluded_urls="healthz,readyz,metrics",
        # One server span per request, not one more per ASGI message sent or received:
        # they said nothing the server span does not, at a span's CPU each.
        exclude_spans=["receive", "send"],
        server_request_hook=redact_server_query,
    )
    name_spans_by_route_templates(app)  # not by trying every route on every request
    on_instrumentation_layer(app, keep_duration_only)  # the one HTTP series read
    return app


def serve_metrics(settings: ServiceSettings) -> Any:
    """The separate ``/metrics`` listener on ``metrics_port``, if one is configured."""
    if settings.metrics_port is None:
        return None
    from prometheus_client import start_http_server

    server, _thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)
    log.info("metrics on http://%s:%s/metrics", settings.metrics_host, settings.metrics_port)
    return server
