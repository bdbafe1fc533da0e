"""Composition root of the transcribe service: wires settings, database, bus and adapters.

The app factory calls it, and tests call it too, so both run the same wiring. The
engine comes from configuration: Deepgram when an API key is set, the bundled
faster-whisper model otherwise.
"""

from __future__ import annotations

from clashtor_common.datakeys import KeyTable
from clashtor_common.keyservice import producer_keys
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from transcribe.adapters.engines import make_engine
from transcribe.adapters.objects import EncryptedObjects
from transcribe.adapters.tables import DataKeyRecord
from transcribe.context import EXTRAS_KEY, TranscribeContext
from transcribe.entrypoints.stream import ROUTES
from transcribe.settings import TranscribeSettings


def bootstrap(settings: TranscribeSettings | None = None) -> ServiceRuntime:
    settings = settings or TranscribeSettings()
    runtime = ServiceRuntime.build(settings)
    keyring = settings.keyring()
    context = TranscribeContext(
        settings=settings,
        db=runtime.db,
        keyring=keyring,
        keys=KeyTable(DataKeyRecord, keyring),
        audio_keys=producer_keys(settings, keyring, settings.ingest_url),
        engine=make_engine(settings.transcription_config()),
        objects=EncryptedObjects(S3Store(settings)),
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
