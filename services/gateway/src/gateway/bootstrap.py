"""Composition root of the gateway service: wires settings, database, bus and adapters.

Tests call ``bootstrap`` too, with their own settings (and, where they want, their own
mailer), so the app under test is wired exactly as in production. Nothing imports this
module but the app factory (``main``) and tests: the container it builds is declared in
``context``.
"""

from __future__ import annotations

from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from gateway.adapters.account_status import AccountStatusCache
from gateway.adapters.api_key_cache import ApiKeyCache
from gateway.adapters.call_views import CallViewCache
from gateway.adapters.exports import ExportStore
from gateway.adapters.mailer import LoggingMailer, Mailer, SmtpMailer, SmtpRelay
from gateway.adapters.rectification_relay import Rectifications
from gateway.adapters.sealed import install_keyring
from gateway.adapters.services import ServiceClients
from gateway.adapters.usage_buffer import UsageRecorder
from gateway.context import EXTRAS_KEY, Gateway
from gateway.domain.credentials import Passwords
from gateway.entrypoints.stream import ROUTES
from gateway.settings import GatewaySettings


def bootstrap(
    settings: GatewaySettings | None = None, *, mailer: Mailer | None = None
) -> ServiceRuntime:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime.build(settings)
    services = ServiceClients(settings)
    keyring = settings.keyring()
    install_keyring(runtime.db.engine, keyring)
    gw = Gateway(
        settings=settings,
        db=runtime.db,
        passwords=Passwords(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        ),
        services=services,
        mailer=mailer or mailer_from(settings),
        exports=ExportStore(S3Store(settings), keyring),
        accounts=AccountStatusCache(
            services,
            ttl_seconds=settings.account_status_cache_seconds,
            stale_seconds=settings.account_status_stale_seconds,
        ),
        rectifications=Rectifications(
            runtime.db, services, retry_seconds=settings.rectification_retry_seconds
        ),
        api_keys=ApiKeyCache(settings.api_key_cache_seconds),
        usage=UsageRecorder(
            runtime.db,
            flush_seconds=settings.usage_flush_seconds,
            max_rows=settings.usage_buffer_rows,
        ),
        views=CallViewCache(
            max_entries=settings.call_view_cache_entries,
            max_bytes=settings.call_view_cache_bytes,
            max_age_seconds=settings.call_view_max_age_seconds,
        ),
    )
    return runtime.attach(EXTRAS_KEY, gw, ROUTES, views=gw.views)


def mailer_from(settings: GatewaySettings) -> Mailer:
    """SMTP when a relay is configured; otherwise messages are only logged."""
    reveal = settings.environment != "production"
    if not settings.smtp_host:
        return LoggingMailer(reveal_links=reveal)
    relay = SmtpRelay(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        start_tls=settings.smtp_start_tls,
    )
    return SmtpMailer(relay, sender=settings.mail_from, reveal_links=reveal)
