"""Composition root of the ingest service: wires settings, database, bus and adapters."""

from __future__ import annotations

from clashtor_common.datakeys import KeyTable
from clashtor_common.s3 import S3Store
from clashtor_common.service import ServiceRuntime
from ingest.adapters.object_store import EncryptedObjects
from ingest.adapters.tables import DataKeyRecord
from ingest.context import EXTRAS_KEY, IngestContext
from ingest.entrypoints.stream import ROUTES
from ingest.settings import IngestSettings


def bootstrap(settings: IngestSettings | None = None) -> ServiceRuntime:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime.build(settings)
    keyring = settings.keyring()
    objects = EncryptedObjects(
        S3Store(settings), keyring, window_chunks=settings.audio_window_chunks
    )
    context = IngestContext(
        settings=settings,
        db=runtime.db,
        keyring=keyring,
        keys=KeyTable(DataKeyRecord, keyring),
        objects=objects,
    )
    return runtime.attach(EXTRAS_KEY, context, ROUTES)
