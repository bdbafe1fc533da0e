"""The gateway's wired dependencies, built once by ``bootstrap`` and shared.

Routes take it through ``entrypoints.deps.GatewayDep``; service-layer functions take
it, or the parts of it they use, as arguments. It lives apart from ``bootstrap`` so
that nothing below the composition root has to import the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass

from clashtor_common.db import Database
from clashtor_common.service import ServiceRuntime
from gateway.adapters.account_status import AccountStatusCache
from gateway.adapters.api_key_cache import ApiKeyCache
from gateway.adapters.call_views import CallViewCache
from gateway.adapters.exports import ExportStore
from gateway.adapters.mailer import Mailer
from gateway.adapters.rectification_relay import Rectifications
from gateway.adapters.services import ServiceClients
from gateway.adapters.usage_buffer import UsageRecorder
from gateway.domain.credentials import Passwords
from gateway.settings import GatewaySettings

EXTRAS_KEY = "gateway"


@dataclass
class Gateway:
    """Everything a gateway use case may need, passed by name."""

    settings: GatewaySettings
    db: Database
    passwords: Passwords
    services: ServiceClients
    mailer: Mailer
    exports: ExportStore
    accounts: AccountStatusCache
    rectifications: Rectifications
    api_keys: ApiKeyCache
    usage: UsageRecorder
    views: CallViewCache


def context_of(runtime: ServiceRuntime) -> Gateway:
    """The gateway container ``bootstrap`` attached to ``runtime``."""
    gw: Gateway = runtime.extras[EXTRAS_KEY]
    return gw
