"""The ingest service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers and routes take this typed container instead of digging in ``runtime.extras``.
"""

from __future__ import annotations

from dataclasses import dataclass

from clashtor_common.crypto import Keyring
from clashtor_common.datakeys import KeyTable
from clashtor_common.db import Database
from clashtor_common.service import ServiceRuntime
from ingest.adapters.object_store import EncryptedObjects
from ingest.settings import IngestSettings

EXTRAS_KEY = "ingest"


@dataclass
class IngestContext:
    settings: IngestSettings
    db: Database
    keyring: Keyring
    keys: KeyTable
    objects: EncryptedObjects

    @property
    def fingerprint_secret(self) -> str:
        return self.settings.fingerprint_secret.get_secret_value()


def context_of(runtime: ServiceRuntime) -> IngestContext:
    context: IngestContext = runtime.extras[EXTRAS_KEY]
    return context
