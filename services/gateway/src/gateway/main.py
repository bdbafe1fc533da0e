"""ASGI entry point: `uvicorn gateway.main:app` (or `--factory gateway.main:create_app`).

HTTPS with TLS 1.3 only: ``python -m gateway.serve``.
"""

from __future__ import annotations

from fastapi import FastAPI

from clashtor_common.periodic import Periodic
from clashtor_common.service_main import lazy_app, service_app
from gateway.adapters.mailer import Mailer
from gateway.adapters.tables import TABLES
from gateway.bootstrap import bootstrap
from gateway.context import context_of
from gateway.entrypoints.allow import AllowHeaderMiddleware
from gateway.entrypoints.body_limit import BodyLimitMiddleware
from gateway.entrypoints.http import routers
from gateway.entrypoints.idempotency import IdempotencyMiddleware
from gateway.entrypoints.operation_ids import operation_id
from gateway.entrypoints.security_headers import SecurityHeadersMiddleware
from gateway.entrypoints.strict_query import SingleQueryValueMiddleware
from gateway.entrypoints.usage import UsageMiddleware
from gateway.entrypoints.web import serve_web
from gateway.settings import GatewaySettings

DESCRIPTION = """\
The public API of Clashtor: accounts, calls, coaching, billing and privacy.

Authenticate with the session cookie from `POST /v1/auth/login` (browsers; state-changing
requests must send the session's CSRF token as `X-CSRF-Token`) or with an API key as
`Authorization: Bearer ck_live_...` (servers; no CSRF token). Errors are JSON:
`{"error": {"code": "...", "message": "..."}}`.
"""


def create_app(settings: GatewaySettings | None = None, *, mailer: Mailer | None = None) -> FastAPI:
    runtime = bootstrap(settings, mailer=mailer)
    gw = context_of(runtime)
    view_expiry = Periodic(
        "call-view-expiry", gw.settings.call_view_max_age_seconds / 2, gw.views.drop_expired
    )
    app = service_app(
        __file__,
        runtime,
        title="Clashtor API",
        routers=routers,
        tables=TABLES,
        workers=[gw.rectifications, gw.usage, view_expiry],
        on_shutdown=[gw.services.aclose],
        public=True,  # /metrics only on GATEWAY_METRICS_PORT; callers' baggage dropped
        operation_id=operation_id,  # calls_list, not list_calls_v1_calls_get
    )
    app.description = DESCRIPTION
    app.version = "1"
    app.state.gateway = gw
    serve_web(app, gw.settings.web_dir)
    app.add_middleware(UsageMiddleware, recorder=gw.usage)
    app.add_middleware(IdempotencyMiddleware, db=gw.db)
    app.add_middleware(AllowHeaderMiddleware, routers=routers)
    app.add_middleware(SingleQueryValueMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=max(gw.settings.max_body_bytes, gw.settings.max_webhook_bytes),
        streamed=[("POST", "/v1/calls")],  # the upload: streamed to ingest, its own limits
    )
    app.add_middleware(
        SecurityHeadersMiddleware, trust_forwarded=gw.settings.trust_forwarded_for
    )  # outermost: error answers from the layers inside get the headers too
    return app


__getattr__ = lazy_app(create_app)
