"""The privacy service's wired dependencies, built once by ``bootstrap`` and shared.

Handlers, routes and the scheduler take this typed container by name instead of
digging in ``runtime.extras``; tests build it the same way with a ``ManualClock``.
"""

from __future__ import annotations

from dataclasses import dataclass

from clashtor_common.certificates import CertificateSigner
from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.service import ServiceRuntime
from privacy.adapters.objects import EncryptedObjects
from privacy.domain.clock import Clock
from privacy.settings import PrivacySettings

#: The event ``source`` of everything privacy emits (independent of the consumer group name).
SOURCE = "privacy"
EXTRAS_KEY = "privacy"


@dataclass
class PrivacyContext:
    settings: PrivacySettings
    db: Database
    clock: Clock
    keyring: Keyring
    objects: EncryptedObjects
    signer: CertificateSigner

    @property
    def fingerprint_secret(self) -> str:
        return self.settings.fingerprint_secret.get_secret_value()


def context_of(runtime: ServiceRuntime) -> PrivacyContext:
    context: PrivacyContext = runtime.extras[EXTRAS_KEY]
    return context
