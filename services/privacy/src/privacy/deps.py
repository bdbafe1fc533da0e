"""What the privacy use cases depend on, wired once by ``bootstrap`` (tests wire the same)."""

from __future__ import annotations

from dataclasses import dataclass

from clashtor_common.certificates import CertificateSigner
from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from privacy.adapters.objects import EncryptedObjects
from privacy.domain.clock import Clock
from privacy.settings import PrivacySettings

#: The event ``source`` of everything privacy emits (independent of the consumer group name).
SOURCE = "privacy"


@dataclass
class Deps:
    settings: PrivacySettings
    db: Database
    clock: Clock
    keyring: Keyring
    objects: EncryptedObjects
    signer: CertificateSigner

    @property
    def fingerprint_secret(self) -> str:
        return self.settings.fingerprint_secret.get_secret_value()
