"""Composition root of the privacy service: wires settings, database, bus and adapters.

The app factory calls it; tests call it too (with a ``ManualClock``), so the real
parts are wired the same way everywhere.
"""

from __future__ import annotations

from clashtor_common.certificates import CertificateSigner
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from privacy.adapters.objects import EncryptedObjects
from privacy.context import EXTRAS_KEY, PrivacyContext
from privacy.domain.clock import Clock, SystemClock
from privacy.entrypoints.stream import ROUTES
from privacy.settings import PrivacySettings


def bootstrap(
    settings: PrivacySettings | None = None, *, clock: Clock | None = None
) -> ServiceRuntime:
    settings = settings or PrivacySettings()
    runtime = ServiceRuntime.build(settings)
    keyring = settings.keyring()
    context = PrivacyContext(
        settings=settings,
        db=runtime.db,
        clock=clock or SystemClock(),
        keyring=keyring,
        objects=EncryptedObjects(S3Store(settings), keyring),
        signer=CertificateSigner.from_config(settings.certificate_signing_key.get_secret_value()),
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
