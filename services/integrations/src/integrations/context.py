"""The integrations service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container instead of digging in ``runtime.extras``.
"""

from __future__ import annotations

from dataclasses import dataclass

from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from integrations.adapters.credentials import Credentials
from integrations.adapters.sender import WebhookSender
from integrations.service_layer.dispatch import Dispatcher
from integrations.service_layer.slack import SlackNotifier
from integrations.service_layer.zoom import ZoomDeps, ZoomImporter
from integrations.settings import IntegrationsSettings

EXTRAS_KEY = "integrations"
SERVICE = "integrations"


@dataclass
class IntegrationsContext:
    settings: IntegrationsSettings
    db: Database
    keyring: Keyring
    credentials: Credentials
    s3: S3Store
    sender: WebhookSender
    dispatcher: Dispatcher
    notifier: SlackNotifier
    zoom: ZoomDeps
    zoom_importer: ZoomImporter

    async def start(self) -> None:
        await self.dispatcher.start()
        await self.notifier.start()
        await self.zoom_importer.start()

    async def stop(self) -> None:
        await self.zoom_importer.stop()
        await self.notifier.stop()
        await self.dispatcher.stop()
        await self.sender.aclose()
        await self.zoom.client.aclose()
        await self.zoom_importer.uploader.aclose()


def context_of(runtime: ServiceRuntime) -> IntegrationsContext:
    context: IntegrationsContext = runtime.extras[EXTRAS_KEY]
    return context
