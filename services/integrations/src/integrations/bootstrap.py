"""Composition root of the integrations service: wires settings, database, bus and adapters.

The app factory calls it, and tests call it too (with a resolver or transport of
their own where they fake the network), so both run the same wiring.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from integrations.adapters.credentials import Credentials
from integrations.adapters.ingest import IngestUploader
from integrations.adapters.resolver import Resolver, system_resolver
from integrations.adapters.sender import WebhookSender
from integrations.adapters.slack import SlackPoster
from integrations.adapters.zoom import ZoomClient
from integrations.context import EXTRAS_KEY, IntegrationsContext
from integrations.domain.retries import RetryPolicy
from integrations.domain.targets import parse_networks
from integrations.entrypoints.stream import ROUTES
from integrations.service_layer.dispatch import Dispatcher
from integrations.service_layer.slack import SlackNotifier
from integrations.service_layer.zoom import ZoomDeps, ZoomImporter, ZoomTokens
from integrations.settings import IntegrationsSettings


def bootstrap(
    settings: IntegrationsSettings | None = None,
    *,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServiceRuntime:
    settings = settings or IntegrationsSettings()
    runtime = ServiceRuntime.build(settings)
    keyring = settings.keyring()
    credentials = Credentials(keyring)
    sender = WebhookSender(
        allowed=parse_networks(settings.webhook_allowed_networks),
        timeout=settings.webhook_timeout_seconds,
        resolver=resolver,
        transport=transport,
    )
    policy = RetryPolicy(
        initial=settings.webhook_retry_initial_seconds,
        max_interval=settings.webhook_retry_max_interval_seconds,
        window=timedelta(hours=settings.webhook_retry_window_hours),
    )
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    dispatcher = Dispatcher(
        runtime.db,
        policy,
        sender=sender,
        credentials=credentials,
        batch=settings.webhook_batch,
        lease=lease,
        poll_seconds=settings.webhook_poll_seconds,
    )
    notifier = SlackNotifier(
        runtime.db,
        policy,
        poster=SlackPoster(
            base_url=settings.slack_base_url, timeout=settings.slack_timeout_seconds
        ),
        keyring=keyring,
        lease=lease,
        poll_seconds=settings.webhook_poll_seconds,
        batch=settings.webhook_batch,
    )
    zoom = ZoomDeps(
        settings=settings,
        keyring=keyring,
        client=ZoomClient(
            oauth_base_url=settings.zoom_oauth_base_url,
            api_base_url=settings.zoom_api_base_url,
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_secret("client_secret"),
            timeout=settings.zoom_timeout_seconds,
        ),
    )
    importer = ZoomImporter(
        runtime.db,
        zoom,
        ZoomTokens(runtime.db, zoom),
        IngestUploader(
            settings.ingest_url,
            settings.identity_secret.get_secret_value(),
            timeout=max(settings.zoom_timeout_seconds, 120.0),
        ),
        policy,
        poll_seconds=settings.zoom_import_poll_seconds,
    )
    context = IntegrationsContext(
        settings=settings,
        db=runtime.db,
        keyring=keyring,
        credentials=credentials,
        s3=S3Store(settings),
        sender=sender,
        dispatcher=dispatcher,
        notifier=notifier,
        zoom=zoom,
        zoom_importer=importer,
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
