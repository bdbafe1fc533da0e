"""Composition root of the integrations service: wires settings, database, bus and adapters.

The app factory calls it, and tests call it too (with a resolver or transport of
their own where they fake the network), so both run the same wiring.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from clashtor_common.crypto import Keyring
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from integrations.adapters.credentials import Credentials
from integrations.adapters.resolver import Resolver, system_resolver
from integrations.adapters.sender import WebhookSender
from integrations.adapters.slack import SlackPoster
from integrations.context import EXTRAS_KEY, IntegrationsContext
from integrations.domain.retries import RetryPolicy
from integrations.domain.targets import parse_networks
from integrations.entrypoints.stream import ROUTES
from integrations.service_layer.dispatch import Dispatcher
from integrations.service_layer.slack import SlackNotifier
from integrations.settings import IntegrationsSettings


def bootstrap(
    settings: IntegrationsSettings | None = None,
    *,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServiceRuntime:
    settings = settings or IntegrationsSettings()
    runtime = ServiceRuntime.build(settings)
    keyring = Keyring.from_config(settings.master_keys.get_secret_value())
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
        sender,
        credentials,
        policy,
        batch=settings.webhook_batch,
        lease=lease,
        poll_seconds=settings.webhook_poll_seconds,
    )
    notifier = SlackNotifier(
        runtime.db,
        SlackPoster(base_url=settings.slack_base_url, timeout=settings.slack_timeout_seconds),
        keyring,
        policy,
        lease=lease,
        poll_seconds=settings.webhook_poll_seconds,
        batch=settings.webhook_batch,
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
    )
    runtime.extras[EXTRAS_KEY] = context
    runtime.subscribe_all(ROUTES, context=context)
    return runtime
